/**
 * Developer tool: one more day on a copy of a bench warehouse, with its timeline. For finding where
 * a small day's time goes, not a benchmark (no baseline):
 *
 *   npx tsx bench/day-timeline.ts TEMPLATE_DB DATASET_DIR AS_OF TAG [WORKERS]
 *
 * Copies TEMPLATE_DB (e.g. `create database day2tpl template metalayer_bench_w2` after a seed
 * bench) to `day_timeline`, writes the day's files as the bench's next day does (1 % changed
 * customers, 1 % new order lines; TAG makes the order numbers and names new again and picks
 * other customers than the bench's next day (writeIncrementalDay's day 1), as a day after
 * the bench's next day needs), runs them with WORKERS (default 2) `metalayer worker` processes
 * and prints the command's wall time, the steps' timeline and the time after the last step (the
 * end-of-run checks and the summary). TAG `next` is the bench's own next day (writeIncrementalDay's
 * day 0: the first small day after a first load). With DAY_BRONZE_ONLY=1 the workers serve the bronze queue
 * only and the run is left with its files loaded in bronze, for bench/profile-steps.ts to time the
 * day's silver and gold steps statement by statement.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startCpuByStep } from './cpu-by-step';
import { writeIncrementalDay } from './incremental-day';
import { cli, machineCpuSeconds, obliterate, startWorker } from './processes';
import { countChangesFromZero, PG } from './setup';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [template, dataset, asOf, tag, workersArg] = process.argv.slice(2);
if (!template || !dataset || !asOf || !tag) throw new Error('usage: day-timeline.ts TEMPLATE_DB DATASET_DIR AS_OF TAG [WORKERS]');
if (!/^\w+$/.test(template) || !/^\w+$/.test(tag)) throw new Error('TEMPLATE_DB and TAG: letters, digits, underscores');

const admin = new pg.Client({ connectionString: `${PG}/postgres` });
await admin.connect();
await admin.query('drop database if exists day_timeline with (force)');
await admin.query(`create database day_timeline template "${template}"`);
await admin.end();
const url = `${PG}/day_timeline`;
const copy = new pg.Client({ connectionString: url });
await copy.connect();
await countChangesFromZero(copy);
await copy.end();

const dayDir = path.join(ROOT, 'bench/data', `day-${tag}`);
await writeIncrementalDay(dataset, dayDir, asOf, tag === 'next' ? '' : tag, tag === 'next' ? 0 : 1);

const env = { ...process.env, DATABASE_URL: url, METALAYER_PREFIX: `{mlday-${Date.now()}}`, LOG_LEVEL: 'info', METALAYER_METRICS_PORT: '0' };
const bronzeOnly = process.env.DAY_BRONZE_ONLY === '1';
const procs = await Promise.all(Array.from({ length: Number(workersArg ?? 2) }, () => startWorker(env, bronzeOnly ? 'bronze' : undefined)));
const db = new pg.Client({ connectionString: url });
try {
  if (bronzeOnly) {
    // The command stops waiting after its timeout and exits 1, leaving the run running.
    await cli(['run', '--input', dayDir, '--as-of', asOf, '--timeout', '30'], { ...env, LOG_LEVEL: 'warn' }).catch(() => undefined);
    await db.connect();
    const run = (await db.query('select max(run_id) as id from meta.runs')).rows[0].id as string;
    const pending = await db.query(
      `select count(*)::int as n from meta.chunks c join meta.run_files rf using (file_id) where rf.run_id = $1 and c.status = 'pending'`,
      [run],
    );
    console.log(`run ${run}: bronze loaded (${pending.rows[0].n} chunks pending); silver and gold not run`);
  } else {
    const started = performance.now();
    const sampler = startCpuByStep(PG, procs.map((p) => p.child.pid!));
    const before = machineCpuSeconds(); // the whole machine's: the database's processes and the workers
    const summary = JSON.parse(await cli(['run', '--input', dayDir, '--as-of', asOf, '--json'], { ...env, LOG_LEVEL: 'warn' })) as { runId: number; status: string };
    const wall = (performance.now() - started) / 1000;
    const after = machineCpuSeconds();
    const byStep = await sampler.stop();
    const busy = after.busy - before.busy;
    const share = (100 * busy) / (busy + after.idle - before.idle);
    console.log(`run ${summary.runId} ${summary.status}: command wall ${wall.toFixed(1)} s, machine busy ${busy.toFixed(1)} core-s (${share.toFixed(0)} % of the cores)`);
    await db.connect();
    const steps = await db.query(
      `select s.layer, s.step, s.rows, s.ms,
              round(extract(epoch from s.started_at - r.started_at)::numeric, 1) as from_s,
              round(extract(epoch from s.finished_at - r.started_at)::numeric, 1) as to_s
         from meta.steps s join meta.runs r using (run_id) where run_id = $1 order by s.started_at`,
      [summary.runId],
    );
    console.table(steps.rows);
    const tail = await db.query(
      `select round(extract(epoch from r.finished_at - r.started_at)::numeric, 1) as run_s,
              round(extract(epoch from r.finished_at - (select max(finished_at) from meta.steps where run_id = $1))::numeric, 1) as after_last_step_s
         from meta.runs r where run_id = $1`,
      [summary.runId],
    );
    console.table(tail.rows);
    console.log(
      `CPU by step (${byStep.attributedCoreSeconds.toFixed(1)} core-s attributed): ` +
        byStep.labels.map((l) => `${l.label} ${l.coreSeconds.toFixed(2)}`).join(', '),
    );
  }
} finally {
  await db.end();
  for (const p of procs) p.child.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.exited));
  await obliterate(env.METALAYER_PREFIX);
}
