import { z } from 'zod';

/**
 * Job payloads carry references only (ids and a chunk index), never row data and never a path:
 * a worker finds the file through meta.files. Strict: a payload with any other key is refused.
 */
export const BronzePayload = z.strictObject({
  runId: z.number().int().positive(),
  fileId: z.number().int().positive(),
  chunkIndex: z.number().int().min(0),
});
/** Replay: a file's quarantined bronze rows of a run go through the checks and COPY again. */
export const BronzeReplayPayload = z.strictObject({
  runId: z.number().int().positive(),
  fileId: z.number().int().positive(),
  replay: z.literal(true),
});
export const BronzeJobPayload = z.union([BronzePayload, BronzeReplayPayload]);
export const SilverPayload = z.strictObject({
  runId: z.number().int().positive(),
  entity: z.string().regex(/^[a-z_]+$/),
  /** Replay: the entity's silver rejects of the run are judged again by today's rules. */
  replay: z.literal(true).optional(),
});
export const GoldPayload = z.strictObject({
  runId: z.number().int().positive(),
  /** The dimensions alone, as soon as their silver inputs are done (beside the order lines' silver step). */
  part: z.literal('dimensions').optional(),
});

export type BronzePayload = z.infer<typeof BronzePayload>;
export type BronzeReplayPayload = z.infer<typeof BronzeReplayPayload>;
export type SilverPayload = z.infer<typeof SilverPayload>;
export type GoldPayload = z.infer<typeof GoldPayload>;
