import { describe, expect, it } from 'vitest';
import { formatTargets, judgeTargets, type TargetInput } from '../../bench/targets';

function result(workers: number, o: { ratio?: number; wall?: number; next?: number; after?: number; status?: string; dayStatus?: string } = {}): TargetInput {
  return {
    workers,
    bronzeRatio: o.ratio ?? 0.8,
    pairedBronzeRatios: [0.79, 0.8, 0.81],
    metalayer: {
      status: o.status ?? 'succeeded',
      wallSeconds: o.wall ?? 55,
      incremental: { status: o.dayStatus ?? 'succeeded', shareOfFullRun: o.next ?? 0.06 },
      dayAfter: { status: 'succeeded', shareOfFullRun: o.after ?? 0.07 },
    },
  };
}

const find = (v: ReturnType<typeof judgeTargets>, start: string) => v.filter((x) => x.target.startsWith(start));

describe('bench targets (bench/targets.ts)', () => {
  it('judges a seed run that meets every target as met', () => {
    const v = judgeTargets('seed', [result(2)], 48);
    expect(v.map((x) => x.met)).toEqual([true, true, true]);
    expect(find(v, 'seed scale')[0]!.note).toBe('the floor alone needs at least 48 s here');
  });

  it('judges each target against its own limit, the limit itself included', () => {
    expect(find(judgeTargets('seed', [result(2, { ratio: 0.69 })]), 'bronze')[0]!.met).toBe(false);
    expect(find(judgeTargets('seed', [result(2, { ratio: 0.7 })]), 'bronze')[0]!.met).toBe(true);
    expect(find(judgeTargets('seed', [result(2, { wall: 60.1 })]), 'seed scale')[0]!.met).toBe(false);
    expect(find(judgeTargets('seed', [result(2, { wall: 60 })]), 'seed scale')[0]!.met).toBe(true);
    // Either small day over 10 % fails the target.
    expect(find(judgeTargets('seed', [result(2, { after: 0.1001 })]), 'a 1 % day')[0]!.met).toBe(false);
    expect(find(judgeTargets('seed', [result(2, { next: 0.1 })]), 'a 1 % day')[0]!.met).toBe(true);
  });

  it('never counts a failed run as met, however fast', () => {
    const v = judgeTargets('seed', [result(2, { wall: 10, status: 'failed', dayStatus: 'failed', next: 0.01 })]);
    expect(find(v, 'seed scale')[0]).toMatchObject({ met: false, measured: '10.0 s (failed)' });
    expect(find(v, 'a 1 % day')[0]).toMatchObject({ met: false, measured: 'failed, 7.0 %' });
  });

  it('leaves the 60 s unjudged where the run cannot judge it: quick scale, or no run with two workers', () => {
    const quick = judgeTargets('quick', [result(1, { wall: 12 }), result(2, { wall: 11 })]);
    expect(find(quick, 'bronze')).toHaveLength(2);
    expect(find(quick, 'seed scale')[0]).toMatchObject({ met: null, note: 'a quick run' });
    expect(find(quick, 'a 1 % day')[0]!.met).toBeNull();
    const oneWorker = judgeTargets('seed', [result(1, { wall: 50 })]);
    expect(find(oneWorker, 'seed scale')[0]).toMatchObject({ met: null, note: 'no run with 2 workers' });
    expect(find(oneWorker, 'a 1 % day')[0]!.met).toBe(true);
  });

  it('prints one line per verdict with its state', () => {
    const lines = formatTargets(judgeTargets('seed', [result(2, { wall: 93.7, ratio: 0.8 })], 64));
    expect(lines).toEqual([
      '  bronze ≥ 0.7 × the baseline, seed, 2 workers: 0.80 (load by load 0.79, 0.80, 0.81) — met',
      '  seed scale bronze → gold ≤ 60 s, 2 workers: 93.7 s — NOT met (the floor alone needs at least 64 s here)',
      '  a 1 % day ≤ 10.0 % of the full run, seed scale, 2 workers: 6.0 %, 7.0 % — met',
    ]);
    expect(formatTargets(judgeTargets('quick', [result(2, { ratio: 0.6 })]))).toEqual([
      '  bronze ≥ 0.7 × the baseline, quick, 2 workers: 0.60 (load by load 0.79, 0.80, 0.81) — NOT met',
      '  seed scale bronze → gold ≤ 60 s, 2 workers: not judged (a quick run)',
      '  a 1 % day ≤ 10.0 % of the full run, seed scale: not judged (a quick run: mostly fixed cost at that size)',
    ]);
  });
});
