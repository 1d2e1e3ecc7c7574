-- quarantine_list.sql
-- Purpose: `metalayer quarantine` — quarantined rows with their file, line, stage, rule and reason.
-- $1 = run id or NULL (all runs), $2 = source or NULL (all sources), $3 = how many rows at most.
select q.run_id, q.source, f.path as file, q.line, q.stage, q.rule, q.reason,
       coalesce(q.record::text, encode(q.raw, 'escape')) as content, q.created_at
  from quarantine.rejects q
  join meta.files f on f.file_id = q.file_id
 where ($1::bigint is null or q.run_id = $1)
   and ($2::text is null or q.source = $2)
 order by q.run_id, q.source, q.line, q.rule
 limit $3;
