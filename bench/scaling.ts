/**
 * `npm run bench:scaling -- [--small FILE] [--large FILE] [--workers N]`
 *
 * How the cost of bronze, silver and gold grows with the data: a quick and a seed result of
 * `npm run bench` compared piece by piece (bench/scaling-compare.ts), each growth divided by the
 * growth in rows (1.00: linear). By default the newest quick and the newest seed result in
 * bench/results, for 2 worker processes; run both benches within the hour on the same machine
 * (the host's speed drifts: a warning says when the two files are hours apart or from different
 * machines). Prints a table and writes bench/results/scaling-<time>.json. No database is used.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { comparabilityWarnings, compareScales, type BenchResultFile } from './scaling-compare';
import { arg, RESULTS_DIR as RESULTS, writeResults } from './setup';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function read(file: string): BenchResultFile {
  return JSON.parse(readFileSync(file, 'utf8')) as BenchResultFile;
}

/** The newest `npm run bench` result of `scale` (files named by their ISO time sort by it). */
function newest(scale: string): string {
  const files = readdirSync(RESULTS)
    .filter((f) => /^\d{4}-\d{2}-\d{2}T[\d-]+Z\.json$/.test(f))
    .sort()
    .reverse();
  for (const f of files) {
    const file = path.join(RESULTS, f);
    if (read(file).workload?.scale === scale) return file;
  }
  throw new Error(`no ${scale} result in ${path.relative(ROOT, RESULTS)}: run \`npm run bench -- --scale ${scale} --workers 2\` first`);
}

function main(): void {
  const smallFile = arg('small', '') || newest('quick');
  const largeFile = arg('large', '') || newest('seed');
  const workers = Number(arg('workers', '2'));
  const small = read(smallFile);
  const large = read(largeFile);
  const scaling = compareScales(small, large, workers);
  const warnings = comparabilityWarnings(small, large);
  const { rows } = scaling;
  console.log(
    `${small.workload.scale} (${path.basename(smallFile)}) → ${large.workload.scale} (${path.basename(largeFile)}), ${workers} worker process(es): ` +
      `${rows.small.toLocaleString()} → ${rows.large.toLocaleString()} rows, × ${rows.growth.toFixed(2)}`,
  );
  for (const w of warnings) console.log(`  warning: ${w}`);
  const { attributed } = scaling;
  console.log(
    `  steps attributed ${(attributed.small * 100).toFixed(0)} % of the busy core-s at ${small.workload.scale} scale, ${(attributed.large * 100).toFixed(0)} % at ${large.workload.scale} ` +
      `(bench/cpu-by-step.ts samples every 250 ms and misses shorter-lived parallel workers): a step's growth may read high by up to × ${(attributed.large / attributed.small).toFixed(2)}`,
  );
  const width = Math.max(...scaling.pieces.map((p) => p.piece.length));
  console.log(`  ${'piece'.padEnd(width)}  ${'small'.padStart(8)}  ${'large'.padStart(8)}  ${'growth'.padStart(7)}  of linear`);
  for (const p of scaling.pieces) {
    console.log(`  ${p.piece.padEnd(width)}  ${p.small.toFixed(1).padStart(8)}  ${p.large.toFixed(1).padStart(8)}  ${p.growth.toFixed(2).padStart(7)}  ${p.ofLinear.toFixed(2)}`);
  }
  const at = new Date().toISOString();
  const command = `npm run bench:scaling -- --small ${path.relative(ROOT, smallFile)} --large ${path.relative(ROOT, largeFile)} --workers ${workers}`;
  writeResults('scaling-', at, { at, command, small: path.relative(ROOT, smallFile), large: path.relative(ROOT, largeFile), warnings, ...scaling });
}

main();
