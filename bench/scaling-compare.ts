/**
 * How MetaLayer's cost grows from one scale to another: a quick and a seed result of
 * `npm run bench` (bench/results/<time>.json) compared piece by piece (bench/scaling.ts prints
 * it). Cost is compared in core-seconds where the bench has them (the machine's CPU while a piece
 * ran, which overlapping steps do not blur as they blur wall time), and each growth is divided by
 * the growth in rows: 1.00 is linear, below 1 a fixed cost that weighs more at the small scale,
 * above 1 a cost that grows faster than the data.
 */
import { median } from './setup';

/** The parts of a bench result file read here (bench/run.ts writes them). */
export interface BenchResultFile {
  at: string;
  workload: { scale: string; rows: number };
  machine: { cores: number; cpu?: string; postgres: string };
  floor?: { coreSeconds: number; bronzeCoreSeconds: number };
  results: {
    workers: number;
    baseline: { seconds: number; busyCoreSeconds: number[] };
    bronzeAlone: { seconds: number; busyCoreSeconds: number[] };
    metalayer: {
      wallSeconds: number;
      cpu: { busyCoreSeconds: number };
      cpuByStep: { labels: { label: string; coreSeconds: number }[]; attributedCoreSeconds?: number };
    };
  }[];
}

export interface ScalingRow {
  /** What is compared, e.g. `silver/sales (core-s)`. */
  piece: string;
  small: number;
  large: number;
  /** large ÷ small. */
  growth: number;
  /** growth ÷ the growth in rows: 1 is linear. */
  ofLinear: number;
}

export interface Scaling {
  workers: number;
  rows: { small: number; large: number; growth: number };
  pieces: ScalingRow[];
  /**
   * The share of the full run's busy core-seconds bench/cpu-by-step.ts attributed to a step or
   * process, at each scale. It samples every 250 ms, so a parallel worker that lives less than
   * that is not attributed: at the small scale, where statements are short, the steps' shares
   * are undercounted and their growth reads high by up to large ÷ small of these shares.
   */
  attributed: { small: number; large: number };
}

/**
 * Steps below this many core-seconds at the small scale are left out of the step rows: a piece
 * that small is mostly sampling (bench/cpu-by-step.ts samples every 250 ms) and says nothing
 * about growth. They still count in the sums.
 */
const MIN_STEP_CORE_SECONDS = 0.5;

/**
 * Compares `small` and `large` (two bench result files, usually quick and seed) for `workers`
 * worker processes, which both must have measured. Throws when they cannot be compared: the
 * same scale twice, no common worker count.
 */
export function compareScales(small: BenchResultFile, large: BenchResultFile, workers: number): Scaling {
  if (large.workload.rows <= small.workload.rows) {
    throw new Error(`the larger result (${large.workload.scale}, ${large.workload.rows} rows) must have more rows than the smaller (${small.workload.scale}, ${small.workload.rows})`);
  }
  const a = small.results.find((r) => r.workers === workers);
  const b = large.results.find((r) => r.workers === workers);
  if (!a || !b) throw new Error(`both results need a run with ${workers} worker process(es): ${small.workload.scale} has ${small.results.map((r) => r.workers).join(',')}, ${large.workload.scale} has ${large.results.map((r) => r.workers).join(',')}`);
  const rowsGrowth = large.workload.rows / small.workload.rows;
  const pieces: ScalingRow[] = [];
  const add = (piece: string, x: number, y: number): void => {
    if (!(x > 0) || !(y >= 0)) return; // nothing measured at the small scale: no growth to state
    pieces.push({ piece, small: x, large: y, growth: y / x, ofLinear: y / x / rowsGrowth });
  };
  const steps = (r: typeof a) => new Map(r.metalayer.cpuByStep.labels.map((l) => [l.label, l.coreSeconds]));
  const sa = steps(a);
  const sb = steps(b);
  const sum = (m: Map<string, number>, prefix: string) => [...m].filter(([l]) => l.startsWith(prefix)).reduce((n, [, c]) => n + c, 0);

  add('baseline psql \\copy (s)', a.baseline.seconds, b.baseline.seconds);
  add('baseline psql \\copy (core-s)', median(a.baseline.busyCoreSeconds), median(b.baseline.busyCoreSeconds));
  add('bronze alone (s)', a.bronzeAlone.seconds, b.bronzeAlone.seconds);
  add('bronze alone (core-s)', median(a.bronzeAlone.busyCoreSeconds), median(b.bronzeAlone.busyCoreSeconds));
  if (small.floor && large.floor) add('floor: silver and gold as bare statements (core-s)', small.floor.coreSeconds, large.floor.coreSeconds);
  add('full run, wall (s)', a.metalayer.wallSeconds, b.metalayer.wallSeconds);
  add('full run, machine busy (core-s)', a.metalayer.cpu.busyCoreSeconds, b.metalayer.cpu.busyCoreSeconds);
  add('silver steps (core-s)', sum(sa, 'silver/'), sum(sb, 'silver/'));
  add('gold steps (core-s)', sum(sa, 'gold/'), sum(sb, 'gold/'));
  const labels = [...sa.keys()].filter((l) => /^(silver|gold|bronze)\//.test(l) && sa.get(l)! >= MIN_STEP_CORE_SECONDS);
  labels.sort((x, y) => (sb.get(y) ?? 0) - (sb.get(x) ?? 0));
  for (const l of labels) add(`${l} (core-s)`, sa.get(l)!, sb.get(l) ?? 0);
  const share = (r: typeof a): number => (r.metalayer.cpuByStep.attributedCoreSeconds ?? NaN) / r.metalayer.cpu.busyCoreSeconds;
  return { workers, attributed: { small: share(a), large: share(b) }, rows: { small: small.workload.rows, large: large.workload.rows, growth: rowsGrowth }, pieces };
}

/** Why two result files may not compare like for like (another machine; hours apart), or nothing. */
export function comparabilityWarnings(small: BenchResultFile, large: BenchResultFile): string[] {
  const warnings: string[] = [];
  if (small.machine.cpu !== large.machine.cpu || small.machine.cores !== large.machine.cores) {
    warnings.push(`different machines: ${small.machine.cores} × ${small.machine.cpu} against ${large.machine.cores} × ${large.machine.cpu}`);
  }
  const hours = Math.abs(Date.parse(large.at) - Date.parse(small.at)) / 3_600_000;
  if (hours > 3) warnings.push(`${hours.toFixed(1)} hours apart: the host's speed drifts (bench/HISTORY.md), run both within the hour`);
  return warnings;
}
