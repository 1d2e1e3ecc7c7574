-- insert_bronze_rejects.sql
-- Purpose: records the rows of a chunk that bronze refused (structure, encoding), with line and reason.
-- Inputs: $1 run_id, $2 file_id, $3 source, $4 lines[], $5 reasons[], $6 raw bytes[].
insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, raw)
select $1, $2, $3, r.line, 'bronze', 'bronze.structure', r.reason, r.raw
  from unnest($4::bigint[], $5::text[], $6::bytea[]) as r (line, reason, raw)
on conflict (file_id, line, stage, rule) do nothing
