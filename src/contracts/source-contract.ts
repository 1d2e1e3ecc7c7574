import { z } from 'zod';

/**
 * A source contract: what a CSV export must look like. Written once per source; the header
 * mapping, the bronze column list and the row validator of the fallback path derive from it.
 */
export const ColumnSchema = z.object({
  /** Header name as the source writes it; matched case-insensitively. */
  header: z.string().min(1),
  /** Bronze column name: the header lower-cased. */
  column: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
  type: z.enum(['int', 'text', 'date', 'yyyymmdd']),
  required: z.boolean(),
  pii: z.boolean().default(false),
  description: z.string().min(1),
});

export const SourceContractSchema = z.object({
  /** Source name; also the bronze table name (bronze.<name>). */
  name: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
  system: z.enum(['crm', 'erp']),
  /** File-name prefix that selects this source, matched case-insensitively. */
  filePrefix: z.string().min(1),
  description: z.string(),
  columns: z.array(ColumnSchema).min(1),
  businessKey: z.array(z.string()).min(1),
  /** Freshness: a new file is expected at least this often; older than this, the source is late. */
  maxAgeHours: z.number().positive().default(26),
  /** The silver entity this source feeds. */
  entity: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/),
});

export type ColumnContract = z.infer<typeof ColumnSchema>;
export type SourceContract = z.infer<typeof SourceContractSchema>;
export type ColumnInput = z.input<typeof ColumnSchema>;

/** Shorthand used by the contract files: header name → column contract. */
export function col<H extends string>(
  header: H,
  type: ColumnContract['type'],
  description: string,
  opts: { required?: boolean; pii?: boolean } = {},
): ColumnInput & { header: H; column: Lowercase<H> } {
  return { header, column: header.toLowerCase() as Lowercase<H>, type, required: opts.required ?? true, pii: opts.pii ?? false, description };
}
