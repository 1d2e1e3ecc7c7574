import { describe, expect, it } from 'vitest';
import { comparabilityWarnings, compareScales, type BenchResultFile } from '../../bench/scaling-compare';

/** A bench result with the given rows whose every cost is `fixed + perRow × rows`. */
function result(scale: string, rows: number, perRow: number, fixed: number, opts: { at?: string; cpu?: string; workers?: number[] } = {}): BenchResultFile {
  const cost = (k: number): number => fixed * k + perRow * k * rows;
  return {
    at: opts.at ?? '2026-12-06T10:00:00.000Z',
    workload: { scale, rows },
    machine: { cores: 2, cpu: opts.cpu ?? 'AMD EPYC', postgres: '15' },
    floor: { coreSeconds: cost(10), bronzeCoreSeconds: cost(1) },
    results: (opts.workers ?? [2]).map((workers) => ({
      workers,
      baseline: { seconds: cost(1), busyCoreSeconds: [cost(2), cost(1.5), cost(3)] },
      bronzeAlone: { seconds: cost(1.2), busyCoreSeconds: [cost(2.4)] },
      metalayer: {
        wallSeconds: cost(12),
        cpu: { busyCoreSeconds: cost(20) },
        cpuByStep: {
          attributedCoreSeconds: cost(15),
          labels: [
            { label: 'silver/sales', coreSeconds: cost(5) },
            { label: 'silver/customers', coreSeconds: cost(2) },
            { label: 'gold/facts', coreSeconds: cost(4) },
            { label: 'bronze/COPY', coreSeconds: cost(1) },
            { label: 'gold/tiny', coreSeconds: cost(0.01) },
            { label: 'metalayer, outside the steps', coreSeconds: cost(0.5) },
          ],
        },
      },
    })),
  };
}

describe('bench scaling: quick against seed (bench/scaling-compare.ts)', () => {
  it('reads a cost proportional to the rows as linear, piece by piece', () => {
    const s = compareScales(result('quick', 1_000_000, 1e-6, 0), result('seed', 10_000_000, 1e-6, 0), 2);
    expect(s.rows.growth).toBeCloseTo(10);
    const piece = (name: string) => s.pieces.find((p) => p.piece === name)!;
    for (const p of s.pieces) expect(p.ofLinear, p.piece).toBeCloseTo(1, 6);
    expect(piece('silver steps (core-s)').small).toBeCloseTo(7); // silver/sales + silver/customers
    expect(piece('gold steps (core-s)').large).toBeCloseTo(40 + 0.1); // gold/facts + gold/tiny
    expect(piece('baseline psql \\copy (core-s)').small).toBeCloseTo(2); // the median of three loads
    expect(piece('floor: silver and gold as bare statements (core-s)').growth).toBeCloseTo(10);
    // Steps, largest first; one too small to say anything left out of the step rows, not of the sums.
    const steps = s.pieces.filter((p) => /^(silver|gold|bronze)\//.test(p.piece)).map((p) => p.piece);
    expect(steps).toEqual(['silver/sales (core-s)', 'gold/facts (core-s)', 'silver/customers (core-s)', 'bronze/COPY (core-s)']);
    // 15 of 20 busy core-s attributed at both scales.
    expect(s.attributed.small).toBeCloseTo(0.75);
    expect(s.attributed.large).toBeCloseTo(0.75);
  });

  it('shows a fixed cost as growth below linear', () => {
    const s = compareScales(result('quick', 1_000_000, 1e-6, 1), result('seed', 10_000_000, 1e-6, 1), 2);
    const wall = s.pieces.find((p) => p.piece === 'full run, wall (s)')!;
    // (12 + 120) / (12 + 12) = 5.5 for 10 × the rows.
    expect(wall.growth).toBeCloseTo(5.5);
    expect(wall.ofLinear).toBeCloseTo(0.55);
  });

  it('refuses results that cannot be compared', () => {
    expect(() => compareScales(result('seed', 10, 1, 0), result('quick', 5, 1, 0), 2)).toThrow(/more rows/);
    expect(() => compareScales(result('quick', 5, 1, 0, { workers: [1] }), result('seed', 10, 1, 0), 2)).toThrow(/2 worker process/);
  });

  it('warns when the two results come from different machines or hours apart', () => {
    const quick = result('quick', 5, 1, 0);
    expect(comparabilityWarnings(quick, result('seed', 10, 1, 0, { at: '2026-12-06T10:40:00.000Z' }))).toEqual([]);
    expect(comparabilityWarnings(quick, result('seed', 10, 1, 0, { cpu: 'Intel Xeon' }))[0]).toMatch(/different machines/);
    expect(comparabilityWarnings(quick, result('seed', 10, 1, 0, { at: '2026-12-06T16:00:00.000Z' }))[0]).toMatch(/6\.0 hours apart/);
  });
});
