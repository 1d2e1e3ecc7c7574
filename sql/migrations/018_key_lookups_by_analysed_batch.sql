-- 018_key_lookups_by_analysed_batch.sql
-- Purpose: meta.use_key_lookups for a batch table its caller has just analysed, sized by that
-- analyse (pg_class.reltuples) instead of by a count(*) of it. The count read the whole batch
-- to decide something that only matters when the batch is small: on a first load it read every
-- staged row (seed scale: 7.5 M order lines, 1.0–1.3 s in the order lines' silver step, and as
-- much again for the facts' changed lines). An estimate is enough for a 5 % threshold.

create function meta.use_key_lookups_for(batch regclass, target regclass) returns boolean language sql volatile as $$
  select meta.use_key_lookups(greatest((select reltuples from pg_class where oid = batch), 0)::bigint, target)
$$;
