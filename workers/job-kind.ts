import type { Job } from 'bullmq';
import type { z } from 'zod';
import type { QueueName } from '../src/queue/names';
import type { Runtime } from '../src/runtime';

/** Rows a job handled, for the metalayer_rows_total counter. */
export interface RowCount {
  source: string;
  layer: 'bronze' | 'silver' | 'gold';
  outcome: 'read' | 'loaded' | 'rejected' | 'changed';
  n: number;
}

/**
 * One kind of job: the queue it lives on, the schema of its payload and what it does.
 * R defaults to any so that the registry can hold kinds of every result type.
 */
export interface JobKind<S extends z.ZodType = z.ZodType, R = any> {
  queue: QueueName;
  schema: S;
  handler(rt: Runtime, payload: z.infer<S>, job: Job): Promise<R>;
  /** What the handler's result says about rows, for metrics. */
  rowCounts(result: R): RowCount[];
}
