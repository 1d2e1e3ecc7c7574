import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bronzeDrift } from '../contracts/bronze-ddl';
import { RETAIL_SOURCES, sourceByName } from '../contracts/retail';
import { buildDataDictionary } from '../docs/data-dictionary';
import { loadSql } from '../db/sql-files';
import { ConfigError } from '../errors/config-error';
import { readFreshness } from '../quality/freshness';
import type { Runtime } from '../runtime';
import { replayRun } from '../pipeline/replay-run';
import { nonNegativeInt, positiveInt, type SetExit } from './arguments';
import { resumeAndWait, type ResumeOptions } from './resume-and-wait';
import { withRuntime } from './with-runtime';

async function runOrLatest(rt: Runtime, run?: number): Promise<number> {
  if (run !== undefined) {
    const r = await rt.pool.query('select 1 from meta.runs where run_id = $1', [run]);
    if (r.rowCount === 0) throw new ConfigError(`run ${run} does not exist`);
    return run;
  }
  const latest = (await rt.pool.query<{ id: number | null }>('select max(run_id)::int as id from meta.quality_results')).rows[0]?.id;
  if (latest === null || latest === undefined) throw new ConfigError('no run has quality results yet');
  return latest;
}

/** Data quality: expectation results per run, and the quarantine. */
export function registerQualityCommands(program: Command, setExit: SetExit): void {
  program
    .command('quality')
    .description("a run's expectation results (default: the latest): rule, rows checked and failing, action, sample keys, model score")
    .option('--run <id>', 'run id', positiveInt)
    .option('--json', 'machine-readable output')
    .action((o: { run?: number; json?: boolean }) =>
      withRuntime(async (rt) => {
        const runId = await runOrLatest(rt, o.run);
        const { rows } = await rt.pool.query(loadSql('queries/quality_report.sql'), [runId]);
        const results = rows.map((r) => ({
          layer: r.layer,
          model: r.model,
          rule: r.rule,
          rowsChecked: Number(r.rows_checked),
          rowsFailed: Number(r.rows_failed),
          threshold: r.threshold === null ? null : Number(r.threshold),
          action: r.action,
          outcome: r.outcome,
          sampleKeys: r.sample_keys,
          modelScore: r.score === null ? null : Number(r.score),
        }));
        if (o.json) process.stdout.write(`${JSON.stringify({ runId, results })}\n`);
        else {
          process.stdout.write(`run ${runId}: ${results.length} expectation(s)\n`);
          for (const r of results) {
            const sample = r.rowsFailed > 0 ? `  e.g. ${JSON.stringify(r.sampleKeys.slice(0, 3))}` : '';
            process.stdout.write(
              `  ${`${r.layer}.${r.model}`.padEnd(22)} ${r.rule.padEnd(34)} ${r.outcome.padEnd(7)} ${String(r.rowsFailed).padStart(8)} / ${String(r.rowsChecked).padEnd(9)} (${r.action}${r.threshold !== null ? ` above ${r.threshold * 100}%` : ''})${sample}\n`,
            );
          }
        }
        setExit(results.some((r) => r.outcome === 'failed') ? 1 : 0);
      }),
    );

  program
    .command('replay')
    .description("send a finished run's quarantined rows back through bronze, silver and gold (after fixing a contract or rule); waits and prints the summary")
    .requiredOption('--run <id>', 'run id', positiveInt)
    .option('--source <name>', 'only the rows of this source, e.g. crm_cust_info')
    .option('--workers <n>', 'also run N workers in this process (0: rely on `metalayer worker` processes)', nonNegativeInt, 0)
    .option('--json', 'print one JSON object instead of the readable summary')
    .option('--timeout <seconds>', 'give up waiting after this many seconds', positiveInt)
    .action((o: ResumeOptions & { source?: string }) =>
      resumeAndWait(
        o,
        setExit,
        'replay',
        async (rt) => ({ info: { ...(await replayRun(rt, o.run, o.source)), stillQuarantined: 0 } }),
        async (rt, info) => {
          const left = (
            await rt.pool.query<{ n: number }>('select count(*)::int as n from quarantine.rejects where run_id = $1 and ($2::text is null or source = $2)', [
              o.run,
              o.source ?? null,
            ])
          ).rows[0]!.n;
          return {
            info: { ...info, stillQuarantined: left },
            line: `replayed ${info.rows.bronze + info.rows.silver} quarantined row(s); ${left} still quarantined`,
          };
        },
      ),
    );

  program
    .command('docs')
    .description('write the data dictionary (every source, bronze, silver and gold table and column) and check the contracts against the database')
    .option('--out <file>', 'where to write it', 'docs/data-dictionary.md')
    .action((o: { out: string }) =>
      withRuntime(async (rt) => {
        const drift = await bronzeDrift(rt.pool, RETAIL_SOURCES);
        for (const d of drift) process.stderr.write(`contract drift: ${d.problem}\n  fix: ${d.fix}\n`);
        const text = await buildDataDictionary(rt.pool, RETAIL_SOURCES);
        mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
        writeFileSync(o.out, text);
        process.stdout.write(`wrote ${o.out}${drift.length > 0 ? `; ${drift.length} difference(s) between the contracts and the database` : '; the database follows the contracts'}\n`);
        setExit(drift.length > 0 ? 1 : 0);
      }),
    );

  program
    .command('freshness')
    .description('each source against its declared maximum age: which is late, and since when (exit 1 if any)')
    .option('--json', 'machine-readable output')
    .action((o: { json?: boolean }) =>
      withRuntime(async (rt) => {
        const sources = await readFreshness(rt.pool);
        if (o.json) process.stdout.write(`${JSON.stringify({ sources })}\n`);
        else {
          for (const s of sources) {
            const state = s.late ? `LATE since ${s.lateSince ?? 'ever (never loaded)'}` : 'fresh';
            const age = s.ageHours === null ? 'never loaded' : `last loaded ${s.lastLoaded} (${s.ageHours.toFixed(1)} h ago)`;
            process.stdout.write(`${s.source.padEnd(18)} ${state.padEnd(40)} ${age}; max age ${s.maxAgeHours} h\n`);
          }
        }
        setExit(sources.some((s) => s.late) ? 1 : 0);
      }),
    );

  program
    .command('quarantine')
    .description('quarantined rows with file, line, rule and reason')
    .option('--run <id>', 'only this run', positiveInt)
    .option('--source <name>', 'only this source, e.g. crm_cust_info')
    .option('--limit <n>', 'at most this many rows', positiveInt, 1000)
    .option('--json', 'machine-readable output (one JSON object per line)')
    .action((o: { run?: number; source?: string; limit: number; json?: boolean }) =>
      withRuntime(async (rt) => {
        if (o.source !== undefined && !sourceByName(o.source)) throw new ConfigError(`unknown source ${o.source}`);
        const { rows } = await rt.pool.query(loadSql('queries/quarantine_list.sql'), [o.run ?? null, o.source ?? null, o.limit]);
        for (const r of rows) {
          const row = { runId: Number(r.run_id), source: r.source, file: r.file, line: Number(r.line), stage: r.stage, rule: r.rule, reason: r.reason, content: r.content };
          process.stdout.write(o.json ? `${JSON.stringify(row)}\n` : `run ${row.runId}  ${row.file}:${row.line}  ${row.stage}/${row.rule}  ${row.reason}\n`);
        }
        if (!o.json) process.stdout.write(`${rows.length} row(s)\n`);
      }),
    );
}
