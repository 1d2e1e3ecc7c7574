import { RETAIL_SOURCES } from '../contracts/retail';
import type { Pool } from '../db/pool';
import { loadSql } from '../db/sql-files';

export interface SourceFreshness {
  source: string;
  maxAgeHours: number;
  lastLoaded: string | null;
  ageHours: number | null;
  late: boolean;
  /** When the source became late (last load + max age); null when never loaded. */
  lateSince: string | null;
}

const MAX_AGES = JSON.stringify(Object.fromEntries(RETAIL_SOURCES.map((s) => [s.name, s.maxAgeHours])));

/** Each source against its declared maximum age (contracts: maxAgeHours). */
export async function readFreshness(pool: Pool): Promise<SourceFreshness[]> {
  const { rows } = await pool.query(loadSql('queries/source_freshness.sql'), [MAX_AGES]);
  return rows.map((r) => ({
    source: r.source,
    maxAgeHours: r.max_age_hours,
    lastLoaded: r.last_loaded ? new Date(r.last_loaded).toISOString() : null,
    ageHours: r.age_hours,
    late: r.late,
    lateSince: r.late_since ? new Date(r.late_since).toISOString() : null,
  }));
}
