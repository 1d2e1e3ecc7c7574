/**
 * Deterministic job ids: adding the same run's flow twice creates no duplicate jobs, and an
 * operator can find a chunk's job from the ledger. BullMQ ids must not contain ':'.
 */
export interface RunRef {
  runId: number;
  /** meta.runs.run_key: keeps ids unique when a database is recreated but Redis is not. */
  runKey: string;
}

const run = (r: RunRef): string => `run-${r.runId}-${r.runKey}`;

export const jobIds = {
  bronze: (r: RunRef, fileId: number, chunk: number) => `${run(r)}-file-${fileId}-chunk-${chunk}`,
  silver: (r: RunRef, entity: string) => `${run(r)}-silver-${entity}`,
  gold: (r: RunRef) => `${run(r)}-gold`,
  dimensions: (r: RunRef) => `${run(r)}-gold-dimensions`,
  /** The n-th replay of a run's quarantine: ids apart from the run's first flow. */
  replay: {
    bronze: (r: RunRef, n: number, fileId: number) => `${run(r)}-replay-${n}-file-${fileId}`,
    silver: (r: RunRef, n: number, entity: string) => `${run(r)}-replay-${n}-silver-${entity}`,
    gold: (r: RunRef, n: number) => `${run(r)}-replay-${n}-gold`,
  },
};
