/**
 * The performance targets (README, "Status against the performance targets") judged from one
 * `npm run bench` result, so that a run says itself which it met instead of leaving the reader
 * to compare its figures with the README by hand. bench/run.ts prints them last and writes them
 * into the result file. A target a run cannot judge (the 60 s and the 1 % day belong to the seed
 * scale; the 60 s to two worker processes) is listed as not judged, with why, never as met.
 * The memory target has its own case (`npm run bench:memory`), which prints its verdict.
 */

export const TARGETS = {
  /** Bronze's rows/s at least this share of the baseline's (`psql \copy`), at both scales. */
  bronzeRatio: 0.7,
  /** Seed scale, two worker processes: bronze → gold within this wall time. */
  seedRunSeconds: 60,
  /** A 1 % day (changed customers, new order lines) within this share of the full run. */
  smallDayShare: 0.1,
} as const;

/** The parts of one worker count's result that the targets read (bench/run.ts writes them). */
export interface TargetInput {
  workers: number;
  bronzeRatio: number;
  pairedBronzeRatios: number[];
  metalayer: {
    status: string;
    wallSeconds: number;
    incremental: { status: string; shareOfFullRun: number };
    dayAfter: { status: string; shareOfFullRun: number };
  };
}

export interface TargetVerdict {
  target: string;
  /** What the run measured, as printed. */
  measured: string;
  /** true met, false not met, null not judged by this run (see `note`). */
  met: boolean | null;
  note?: string;
}

const pct = (share: number): string => `${(share * 100).toFixed(1)} %`;
const workersLabel = (n: number): string => `${n} worker${n === 1 ? '' : 's'}`;

/**
 * Every target for every worker count of one bench run. `floorSeconds`: the floor's shortest wall
 * time (bench/floor.ts), printed beside the 60 s target because it says whether the machine
 * allows it at all.
 */
export function judgeTargets(scale: string, results: readonly TargetInput[], floorSeconds?: number): TargetVerdict[] {
  const verdicts: TargetVerdict[] = [];
  for (const r of results) {
    verdicts.push({
      target: `bronze ≥ ${TARGETS.bronzeRatio} × the baseline, ${scale}, ${workersLabel(r.workers)}`,
      measured: `${r.bronzeRatio.toFixed(2)} (load by load ${r.pairedBronzeRatios.map((x) => x.toFixed(2)).join(', ')})`,
      met: r.bronzeRatio >= TARGETS.bronzeRatio,
    });
  }
  const seedTwo = scale === 'seed' ? results.find((r) => r.workers === 2) : undefined;
  const runTarget = `seed scale bronze → gold ≤ ${TARGETS.seedRunSeconds} s, 2 workers`;
  if (!seedTwo) {
    verdicts.push({ target: runTarget, measured: '—', met: null, note: scale === 'seed' ? 'no run with 2 workers' : `a ${scale} run` });
  } else {
    const ok = seedTwo.metalayer.status === 'succeeded';
    verdicts.push({
      target: runTarget,
      measured: `${seedTwo.metalayer.wallSeconds.toFixed(1)} s${ok ? '' : ` (${seedTwo.metalayer.status})`}`,
      met: ok && seedTwo.metalayer.wallSeconds <= TARGETS.seedRunSeconds,
      ...(floorSeconds !== undefined ? { note: `the floor alone needs at least ${floorSeconds.toFixed(0)} s here` } : {}),
    });
  }
  const dayTarget = `a 1 % day ≤ ${pct(TARGETS.smallDayShare)} of the full run, seed scale`;
  if (scale !== 'seed') {
    verdicts.push({ target: dayTarget, measured: '—', met: null, note: `a ${scale} run: mostly fixed cost at that size` });
  } else {
    for (const r of results) {
      const days = [r.metalayer.incremental, r.metalayer.dayAfter];
      verdicts.push({
        target: `${dayTarget}, ${workersLabel(r.workers)}`,
        measured: days.map((d) => (d.status === 'succeeded' ? pct(d.shareOfFullRun) : d.status)).join(', '),
        met: days.every((d) => d.status === 'succeeded' && d.shareOfFullRun <= TARGETS.smallDayShare),
      });
    }
  }
  return verdicts;
}

/** One line per verdict, for the bench's output. */
export function formatTargets(verdicts: readonly TargetVerdict[]): string[] {
  return verdicts.map((v) => {
    if (v.met === null) return `  ${v.target}: not judged${v.note ? ` (${v.note})` : ''}`;
    return `  ${v.target}: ${v.measured} — ${v.met ? 'met' : 'NOT met'}${v.note ? ` (${v.note})` : ''}`;
  });
}
