-- silver/sales_keys_and_rejects.sql
-- Purpose: the end of the order lines' silver step, after either path filled silver.sales
-- (sales.sql, or the table built whole by sales_first_load.sql): the keys built again where a
-- first load suspended them, or the table built whole attached (which builds them), repeated
-- lines removed, the rejected lines quarantined, fresh statistics.
-- Inputs: silver.sales and its partition silver.sales_rows (migration 032); temp tables stg_sales
-- (at least the run's lines without a key), sales_superseded (repeated lines found before the
-- insert) and sales_whole_rows (a table built whole: how many lines it kept; empty otherwise);
-- bronze.crm_sales_details (the records of superseded lines). Outputs: silver.sales (and its
-- partition's run index when missing, on the update path: migration 039),
-- quarantine.rejects, meta.silver_sales_span (deleted when repeated lines were removed); returns
-- rows_changed.
-- Rules: a line without order number or product number → quarantined (sales.key_not_null); a line
-- that appears again later in the run → quarantined (sales.superseded), the later one is kept.

-- The key's build is the first load's check for repeated lines (migrations 017, 032). Usually it
-- succeeds; when it finds one it is rolled back alone (the indexes stay suspended, or the table
-- built whole stays detached) and the lines are ranked here, in silver.sales_rows, which then
-- holds only this run's lines, by the rule of sales.sql (later file and line wins). (Each call
-- does nothing when its path did not run: no index suspended, the partition attached.)
create temp table sales_keys_built on commit drop as
select meta.try_restore_indexes('silver.sales') and meta.try_attach_default_partition('silver.sales', 'silver.sales_rows') as built;

insert into sales_superseded (_file_id, _line, order_number, product_number)
select r._file_id, r._line, r.order_number, r.product_number
  from (select t._file_id, t._line, t.order_number, t.product_number,
               row_number() over (partition by t.order_number, t.product_number
                                  order by t._file_id desc, t._line desc) as rn
          from silver.sales_rows t
         where not (select built from sales_keys_built)) r
 where r.rn > 1;
analyze sales_superseded;

delete from silver.sales_rows t
 using sales_superseded x
 where not (select built from sales_keys_built)
   and t._file_id = x._file_id and t._line = x._line;

-- Lines removed: the first load's count of them for the facts step (sales_first_load.sql) no
-- longer holds, and the facts step counts them itself.
delete from meta.silver_sales_span where not (select built from sales_keys_built);

-- What a failed build left suspended or detached; else nothing.
select meta.restore_indexes('silver.sales'), meta.attach_default_partition('silver.sales', 'silver.sales_rows');

insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), s._file_id, 'crm_sales_details', s._line, 'silver', 'sales.key_not_null',
       'sls_ord_num or sls_prd_key is empty', meta.sales_record(s.sls_ord_num, s.sls_prd_key, s.sls_cust_id, s.sls_order_dt,
         s.sls_ship_dt, s.sls_due_dt, s.sls_sales, s.sls_quantity, s.sls_price, s._extra)
  from stg_sales s
 where s.order_number is null or s.product_number is null
on conflict (file_id, line, stage, rule) do nothing;

-- The records of the superseded lines, from bronze: the first load's path stages only the lines
-- without a key. Usually there are none, and the join ends before reading bronze.
insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), b._file_id, 'crm_sales_details', b._line, 'silver', 'sales.superseded',
       format('order line %s/%s appears again later in the run', x.order_number, x.product_number),
       meta.sales_record(b.sls_ord_num, b.sls_prd_key, b.sls_cust_id, b.sls_order_dt,
         b.sls_ship_dt, b.sls_due_dt, b.sls_sales, b.sls_quantity, b.sls_price, b._extra)
  from sales_superseded x
  join bronze.crm_sales_details b on b._file_id = x._file_id and b._line = x._line
 where b._file_id = any(meta.ctx_file_ids())
on conflict (file_id, line, stage, rule) do nothing;

-- The partition's run index (migration 039), before the run's lines are summarised in it and
-- counted below: a first load (sales_whole_rows has its count) leaves its build to the run's gold
-- job, off this step's end, which runs alone; any other load builds it here if it is missing (a
-- first load whose gold job did not), else this is a catalog lookup.
select meta.ensure_silver_sales_run_index() where not exists (select 1 from sales_whole_rows);

-- The run's lines in the run index's summaries (a BRIN index: migration 027), before they are
-- counted below and read by gold.
select meta.summarize_new_ranges('silver.sales');

-- Gold reads this table next in another transaction: give the planner its new size, and this
-- run's lines, on every run (not meta.analyze_if_stale). The facts step finds them by `_run_id`:
-- unknown to the statistics, a small day's 75 k lines are priced as one, and the fact image
-- (meta.run_fact_image) looks each one up in the dimensions instead of hashing them. Seed scale,
-- a 1 % day: the image 1.82–1.97 s with the statistics of the first load, 0.65–0.76 s after
-- this analyse (0.3 s, in a step that waits for the dimensions anyway). The partition's: the
-- planner reads the one partition directly and prices its scans by them; the parent's own
-- (ANALYZE of the parent samples every partition again: 0.4–0.55 s against 0.2 s) only when a
-- tenth of it changed (migration 021). ANALYZE of a partitioned table analyses each partition
-- too: when the parent's turn comes (a first load, a big day) the partition is not analysed a
-- second time (seed scale, a first load: 0.27–0.47 s of the step's end, which runs alone).
-- (One statement: no `;` ends a line before its last, as bench/profile-steps.ts splits files.)
do $$ begin
  if not meta.analyze_if_stale('silver.sales', 'order_number', 'product_number', 'customer_id', '_run_id')
  then analyze silver.sales_rows (order_number, product_number, customer_id, _run_id); end if; end $$;

-- The run's lines in silver. A table built whole holds only the run's lines: the ones it kept less
-- the superseded ones deleted above, each one line (no scan of the 7.5 M lines at seed scale,
-- 0.75-0.88 s); otherwise counted (coalesce reads the count only when the first is null).
select coalesce((select n from sales_whole_rows) - (select count(*) from sales_superseded),
                (select count(*) from silver.sales where _run_id = meta.ctx_run_id())) as rows_changed;
