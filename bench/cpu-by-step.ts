/**
 * Where a run's CPU goes: samples every PostgreSQL process's CPU time (/proc/<pid>/stat) and what
 * it works on (pg_stat_activity: the step the step runner puts in application_name, which the
 * step's parallel workers share; a bronze COPY by its statement; the server's own processes by
 * their type), and the worker processes' own CPU, every `intervalMs`. Each sample's CPU delta goes
 * to what the process was doing at that sample, so a label is exact to within one interval per
 * change; a process that ends between two samples loses its last interval (the total is
 * compared with the machine's busy core-seconds to show how much was attributed).
 *
 * It also keeps the machine's idle core-seconds by what was running at the time (the steps that
 * used CPU in that interval): where a run leaves cores unused, and so where reordering or
 * splitting work could shorten it without making any of it cheaper.
 */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import pg from 'pg';
import { machineCpuSeconds } from './processes';

const TICK = 100; // USER_HZ

/** utime + stime of a process in seconds, or null when it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICK;
  } catch {
    return null;
  }
}

interface Backend {
  pid: number;
  label: string;
}

/** What a PostgreSQL process works on, as a label. */
function labelOf(row: { application_name: string | null; backend_type: string; query: string | null; state: string | null }): string {
  const step = /^metalayer\/\d+ (.+)$/.exec(row.application_name ?? '');
  if (step) return step[1]!;
  if (row.backend_type !== 'client backend' && row.backend_type !== 'parallel worker') return `server: ${row.backend_type}`;
  if (row.state === 'active' && /^\s*copy\s+"bronze"/i.test(row.query ?? '')) return 'bronze/COPY';
  if ((row.application_name ?? '').startsWith('metalayer/')) return 'metalayer, outside the steps';
  return 'other';
}

export interface CpuByStep {
  /** core-seconds per label, largest first */
  labels: { label: string; coreSeconds: number }[];
  attributedCoreSeconds: number;
  /**
   * The machine's idle core-seconds while the run went on, by the steps that were running (those
   * that used CPU in the interval, joined by ' + '; 'no step' when none did), largest first.
   */
  idleWhile: { steps: string; idleCoreSeconds: number; seconds: number }[];
}

/** A label of a step's own work, not the server's or the worker processes'. */
const isStep = (label: string): boolean => !label.startsWith('server: ') && label !== 'worker processes (Node)' && label !== 'other';

/** Starts sampling; `stop()` returns the totals. `workerPids`: the run's worker processes (Node). */
export function startCpuByStep(serverUrl: string, workerPids: number[], intervalMs = 250): { stop(): Promise<CpuByStep> } {
  const client = new pg.Client({ connectionString: `${serverUrl}/postgres`, application_name: 'bench-cpu-sampler' });
  const last = new Map<number, number>();
  const totals = new Map<string, number>();
  const add = (label: string, seconds: number): void => {
    if (seconds > 0) totals.set(label, (totals.get(label) ?? 0) + seconds);
  };
  let busySteps = new Set<string>(); // the steps that used CPU in the current interval
  const account = (pid: number, label: string): void => {
    const now = processCpuSeconds(pid);
    if (now === null) return;
    const before = last.get(pid);
    last.set(pid, now);
    if (before !== undefined) {
      add(label, now - before);
      if (now - before > 0 && isStep(label)) busySteps.add(label);
    }
  };
  // Idle core-seconds by the steps that ran in each interval.
  const cores = cpus().length;
  const idle = new Map<string, { idleCoreSeconds: number; seconds: number }>();
  let machineBefore = machineCpuSeconds();
  let running = true;
  const loop = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query(
        `select pid, application_name, backend_type, query, state from pg_stat_activity where pid <> pg_backend_pid()`,
      );
      const backends: Backend[] = rows.map((r) => ({ pid: r.pid, label: labelOf(r) }));
      busySteps = new Set();
      for (const b of backends) account(b.pid, b.label);
      for (const pid of workerPids) account(pid, 'worker processes (Node)');
      const machine = machineCpuSeconds();
      const span = (machine.busy + machine.idle - machineBefore.busy - machineBefore.idle) / cores; // wall seconds
      const steps = [...busySteps].sort().join(' + ') || 'no step';
      const at = idle.get(steps) ?? { idleCoreSeconds: 0, seconds: 0 };
      idle.set(steps, { idleCoreSeconds: at.idleCoreSeconds + (machine.idle - machineBefore.idle), seconds: at.seconds + span });
      machineBefore = machine;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await loop;
      const labels = [...totals.entries()].map(([label, coreSeconds]) => ({ label, coreSeconds })).sort((a, b) => b.coreSeconds - a.coreSeconds);
      const idleWhile = [...idle.entries()].map(([steps, v]) => ({ steps, ...v })).sort((a, b) => b.idleCoreSeconds - a.idleCoreSeconds);
      return { labels, attributedCoreSeconds: labels.reduce((n, l) => n + l.coreSeconds, 0), idleWhile };
    },
  };
}
