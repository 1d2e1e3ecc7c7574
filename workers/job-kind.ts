import type { Job } from 'bullmq';
import type { z } from 'zod';
import type { QueueName } from '../src/queue/names';
import type { Runtime } from '../src/runtime';

/** One kind of job: the queue it lives on, the schema of its payload and what it does. */
export interface JobKind<S extends z.ZodType = z.ZodType> {
  queue: QueueName;
  schema: S;
  handler(rt: Runtime, payload: z.infer<S>, job: Job): Promise<unknown>;
}
