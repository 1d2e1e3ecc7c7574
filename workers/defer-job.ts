/**
 * Thrown by a handler whose job should run later, not now: the worker moves the job to the delayed
 * set for `ms` (no attempt used, nothing failed) and takes the next job.
 */
export class DeferJob extends Error {
  constructor(
    readonly ms: number,
    reason: string,
  ) {
    super(reason);
    this.name = 'DeferJob';
  }
}
