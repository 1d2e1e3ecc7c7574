import type { RunSummary } from '../pipeline/summary';

/** A run summary for people: what was loaded, what was rejected, what the checks said. */
export function formatSummary(s: RunSummary): string {
  const out: string[] = [];
  const ok = s.status === 'succeeded' || s.status === 'noop';
  out.push(`run ${s.runId}: ${s.status.toUpperCase()} (as of ${s.asOf}${s.wallMs !== null ? `, ${(s.wallMs / 1000).toFixed(1)} s` : ''})`);
  if (s.message) out.push(`  ${s.message}`);
  if (s.files.length > 0) {
    out.push('', '  files                                    read       loaded   rejected');
    for (const f of s.files) {
      const name = `${f.source} ${f.role === 'load' ? '' : `(${f.role})`}`.padEnd(36);
      out.push(`  ${name} ${fmt(f.rowsRead)} ${fmt(f.rowsLoaded)} ${fmt(f.rowsRejected, 10)}`);
      if (f.error) out.push(`    ! ${f.error}`);
      if (f.extraColumns) out.push(`    unknown columns kept in _extra: ${f.extraColumns.join(', ')}`);
    }
  }
  out.push('', '  layer      rows        ms');
  for (const layer of ['bronze', 'silver', 'gold'] as const) {
    out.push(`  ${layer.padEnd(8)} ${fmt(s.layers[layer].rows, 8)} ${fmt(s.layers[layer].ms, 9)}`);
  }
  out.push(`  quarantined: ${s.quarantined.bronze} in bronze (structure), ${s.quarantined.silver} by silver rules`);
  if (s.checks.length > 0) {
    out.push('', '  checks');
    for (const c of s.checks) out.push(`  ${c.passed ? 'ok  ' : 'FAIL'} ${c.name}${c.passed ? '' : `  ${JSON.stringify(c.detail)}`}`);
  }
  if (!ok) out.push('', '  see `metalayer status --run ' + s.runId + '` and quarantine.rejects for details');
  return out.join('\n');
}

function fmt(n: number, width = 10): string {
  return n.toLocaleString('en-US').padStart(width);
}
