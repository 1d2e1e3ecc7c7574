import { describe, expect, it } from 'vitest';
import { queueOverhead, type JobTiming } from '../../bench/queue-overhead';

const job = (id: string, worker: string, readyAt: number, processedOn: number, finishedOn: number): JobTiming => ({
  id,
  queue: 'bronze',
  worker,
  readyAt,
  processedOn,
  finishedOn,
});

describe('bench queue overhead (bench/queue-overhead.ts)', () => {
  it("per worker: the run's wall minus its jobs' time, and busy time as the union of its jobs", () => {
    const q = queueOverhead(
      [
        job('a', 'h:1', 0, 0, 4_000),
        job('b', 'h:1', 0, 2_000, 6_000), // overlaps a (another queue of the same process)
        job('c', 'h:2', 0, 1_000, 3_000),
        job('d', 'h:2', 5_000, 5_500, 7_000),
      ],
      10,
    );
    expect(q.perWorker).toEqual([
      { worker: 'h:1', jobs: 2, jobSeconds: 8, overheadSeconds: 2, busySeconds: 6, idleSeconds: 4 },
      { worker: 'h:2', jobs: 2, jobSeconds: 3.5, overheadSeconds: 6.5, busySeconds: 3.5, idleSeconds: 6.5 },
    ]);
  });

  it('can read negative when a worker ran jobs of several queues at once', () => {
    const q = queueOverhead([job('a', 'h:1', 0, 0, 3_000), job('b', 'h:1', 0, 0, 3_000)], 4);
    expect(q.perWorker[0]).toMatchObject({ jobSeconds: 6, overheadSeconds: -2, busySeconds: 3, idleSeconds: 1 });
  });

  it('for the run: the waits once ready (the backlog), and the part of them with the taking worker free for that queue (dispatch)', () => {
    const at = (id: string, worker: string, queue: string, readyAt: number, processedOn: number, finishedOn: number): JobTiming => ({ id, worker, queue, readyAt, processedOn, finishedOn });
    const q = queueOverhead(
      [
        at('a', 'h:1', 'bronze', 0, 100, 200),
        at('d', 'h:1', 'bronze', 0, 300, 350), // ready at 0, its worker free from 200 (a): 100 ms of dispatch
        at('c', 'h:1', 'bronze', 500, 400, 450), // taken before its recorded readiness (clocks of two hosts): no wait
        at('f', 'h:2', 'bronze', 0, 10, 1_990),
        at('e', 'h:2', 'bronze', 0, 2_000, 2_100), // 2 s in the backlog, 10 ms once h:2 was free (f)
        at('gold', 'h:2', 'gold', 1_000, 1_750, 2_500), // h:2's gold slot was free: all of its wait is dispatch
      ],
      3,
    );
    expect(q.queued).toEqual({ jobs: 6, totalSeconds: 3.16, longestSeconds: 2, longestJob: 'e' });
    expect(q.dispatch).toEqual({ jobs: 6, totalSeconds: 0.97, longestSeconds: 0.75, longestJob: 'gold' });
    expect(queueOverhead([], 1).dispatch).toEqual({ jobs: 0, totalSeconds: 0, longestSeconds: 0, longestJob: null });
  });
});
