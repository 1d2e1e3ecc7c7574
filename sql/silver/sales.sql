-- silver/sales.sql
-- Purpose: CRM order lines of the run's files → silver.sales, by update and insert: the order
-- lines' silver step when silver.sales has rows. An empty silver.sales is built whole instead
-- (src/pipeline/sales-load.ts, sales_first_load.sql); both paths
-- then run sales_keys_and_rejects.sql and give the same silver rows, rejects and type counts
-- (tests/integration/sales-load.test.ts).
-- Inputs: meta.run_sales_cleaned (migration 019: the bronze.crm_sales_details rows of the run's
-- files, meta.ctx_file_ids(), raw and parsed). Outputs: silver.sales; meta.silver_sales_span
-- emptied; temp tables stg_sales (read by the source contract's type checks,
-- src/quality/contract-types.ts), sales_superseded and sales_whole_rows (empty on this path:
-- sales_keys_and_rejects.sql counts the run's lines).
-- Grain: one row per order line. Key: (order_number, product_number).
-- Rules: parsing as in migration 019; sales NULL, ≤ 0 or ≠ quantity × |price| → quantity × |price|;
-- price NULL or ≤ 0 → original sales ÷ quantity (integer division) — meta.repaired_sales /
-- meta.repaired_price. A line appearing twice keeps the most recently loaded one.

-- The lines of a first load as its silver step counted them for the facts step (migration 038)
-- no longer hold once this step changes silver.sales: the facts step then counts them itself.
delete from meta.silver_sales_span;

create temp table stg_sales on commit drop as
select * from meta.run_sales_cleaned;  -- the run's lines, raw and parsed (migration 019)
analyze stg_sales (order_number, product_number, _file_id, _line);  -- only what joins and filters use
-- A small increment (under 5 % of silver.sales) reaches its lines through the primary key, not by
-- hashing the whole table (migration 012; seed scale, 75 k lines: update 2.1 s and insert 4.0 s before).
select meta.use_key_lookups_for('stg_sales', 'silver.sales');  -- sized by the analyse above (migration 018)

-- A first load (silver.sales empty) finds its repeated lines by the primary key's build after the
-- insert, a sort it pays anyway (migration 017), and only on a failed build looks for them (below).
create temp table sales_into_empty on commit drop as
select not exists (select 1 from silver.sales) as into_empty;

-- A line that appears again later in the run loses to the later one. First the keys that appear
-- more than once (usually none), then the ranking of their lines alone. Grouped by sorting under
-- the "C" collation: the same equality, but bytewise comparisons with abbreviated keys. Seed
-- scale, 7.5 M lines: 5.4 s; the planner's choice, a hash aggregate spilling to disk, 9.4 s;
-- ranking every line by its key took 8.8 s (9.9 s under the default collation). Not on a first
-- load: the gate is a one-time filter, stg_sales is then not read.
select set_config('enable_hashagg', 'off', true);
create temp table sales_repeated_keys on commit drop as
select order_number collate "C" as order_number, product_number collate "C" as product_number
  from stg_sales
 where order_number is not null and product_number is not null
   and not (select into_empty from sales_into_empty)
 group by 1, 2
having count(*) > 1;
select set_config('enable_hashagg', (select reset_val from pg_settings where name = 'enable_hashagg'), true);
analyze sales_repeated_keys;  -- empty (the usual case): the join below ends before reading stg_sales

create temp table sales_superseded on commit drop as
select r._file_id, r._line, r.order_number, r.product_number
  from (select s._file_id, s._line, s.order_number, s.product_number,
               row_number() over (partition by s.order_number, s.product_number
                                  order by s._file_id desc, s._line desc) as rn
          from stg_sales s
          join sales_repeated_keys k on k.order_number = s.order_number collate "C" and k.product_number = s.product_number collate "C") r
 where r.rn > 1;
analyze sales_superseded;

-- Only a table built whole knows its count without reading it (sales_first_load.sql).
create temp table sales_whole_rows (n bigint not null) on commit drop;

-- Update and insert apart, not INSERT … ON CONFLICT: the step's lock excludes concurrent writers,
-- and a plain insert costs about half a speculative one per row.
update silver.sales t
   set customer_id = s.customer_id, order_date = s.order_date, ship_date = s.ship_date, due_date = s.due_date,
       sales_amount = meta.repaired_sales(s.sales_raw, s.quantity, s.price_raw), quantity = s.quantity,
       price = meta.repaired_price(s.sales_raw, s.quantity, s.price_raw),
       _file_id = s._file_id, _line = s._line, _run_id = meta.ctx_run_id(), _updated_at = now()
  from stg_sales s
 where t.order_number = s.order_number and t.product_number = s.product_number
   and not exists (select 1 from sales_superseded x where x._file_id = s._file_id and x._line = s._line)
   and (t.customer_id, t.order_date, t.ship_date, t.due_date, t.sales_amount, t.quantity, t.price)
       is distinct from
       (s.customer_id, s.order_date, s.ship_date, s.due_date, meta.repaired_sales(s.sales_raw, s.quantity, s.price_raw),
        s.quantity, meta.repaired_price(s.sales_raw, s.quantity, s.price_raw));

-- An empty table (the first load): its indexes are built once after the insert, not row by
-- row (migration 011; a no-op when the table has rows).
select meta.suspend_indexes('silver.sales');

insert into silver.sales (order_number, product_number, customer_id, order_date, ship_date, due_date,
                          sales_amount, quantity, price, _file_id, _line, _run_id)
select s.order_number, s.product_number, s.customer_id, s.order_date, s.ship_date, s.due_date,
       meta.repaired_sales(s.sales_raw, s.quantity, s.price_raw), s.quantity,
       meta.repaired_price(s.sales_raw, s.quantity, s.price_raw),
       s._file_id, s._line, meta.ctx_run_id()
  from stg_sales s
 where s.order_number is not null and s.product_number is not null
   and not exists (select 1 from sales_superseded x where x._file_id = s._file_id and x._line = s._line)
   and not exists (select 1 from silver.sales t where t.order_number = s.order_number and t.product_number = s.product_number);

