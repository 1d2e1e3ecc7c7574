import { hostname } from 'node:os';

/**
 * This process as a worker: `host:pid`. The ledger records it with each chunk it loaded
 * (meta.chunks.loaded_by), and BullMQ with each job it processed (the Worker's name, a job's
 * `processedBy`, which Bull Board and the bench read): an operator can tell which replica did what.
 */
export const WORKER_ID = `${hostname()}:${process.pid}`;
