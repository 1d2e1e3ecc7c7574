-- silver/sales.sql
-- Purpose: CRM order lines of the run's files → silver.sales.
-- Inputs: meta.ctx_file_ids() (the run's files of this source, set by the step runner); bronze.crm_sales_details rows of the run's files. Outputs: silver.sales, quarantine.rejects.
-- Grain: one row per order line. Key: (order_number, product_number).
-- Rules: a date integer that is 0 or not 8 digits (or no calendar day) → NULL; sales NULL, ≤ 0 or
-- ≠ quantity × |price| → quantity × |price|; price NULL or ≤ 0 → original sales ÷ quantity
-- (integer division) — meta.repaired_sales / meta.repaired_price. A line appearing twice keeps
-- the most recently loaded one.

create temp table stg_sales on commit drop as
select b.*,
       meta.clean_text(b.sls_ord_num)  as order_number,
       meta.clean_text(b.sls_prd_key)  as product_number,
       meta.try_int8(b.sls_cust_id)    as customer_id,
       coalesce(co.day, meta.int_date(b.sls_order_dt)) as order_date,
       coalesce(cs.day, meta.int_date(b.sls_ship_dt)) as ship_date,
       coalesce(cd.day, meta.int_date(b.sls_due_dt)) as due_date,
       meta.try_int8(b.sls_sales)      as sales_raw,
       meta.try_int8(b.sls_quantity)   as quantity,
       meta.try_int8(b.sls_price)      as price_raw
  from bronze.crm_sales_details b
  -- Dates by lookup (see migration 006); meta.int_date only for values the calendar lacks.
  left join meta.calendar co on co.yyyymmdd = b.sls_order_dt
  left join meta.calendar cs on cs.yyyymmdd = b.sls_ship_dt
  left join meta.calendar cd on cd.yyyymmdd = b.sls_due_dt
 where b._file_id = any(meta.ctx_file_ids());  -- the run's files of this source (migration 013)
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

-- The key's build is the first load's check for repeated lines. Usually it succeeds; when it finds
-- one it is rolled back alone (the indexes stay suspended) and the lines are ranked here, in
-- silver.sales, which holds only this run's lines then, by the same rule as above.
create temp table sales_keys_built on commit drop as
select meta.try_restore_indexes('silver.sales') as built;

insert into sales_superseded (_file_id, _line, order_number, product_number)
select r._file_id, r._line, r.order_number, r.product_number
  from (select t._file_id, t._line, t.order_number, t.product_number,
               row_number() over (partition by t.order_number, t.product_number
                                  order by t._file_id desc, t._line desc) as rn
          from silver.sales t
         where not (select built from sales_keys_built)) r
 where r.rn > 1;

delete from silver.sales t
 using sales_superseded x
 where not (select built from sales_keys_built)
   and t._file_id = x._file_id and t._line = x._line;

select meta.restore_indexes('silver.sales');  -- what a failed build left suspended; else nothing

insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), s._file_id, 'crm_sales_details', s._line, 'silver', r.rule, r.reason,
       jsonb_build_object('sls_ord_num', s.sls_ord_num, 'sls_prd_key', s.sls_prd_key, 'sls_cust_id', s.sls_cust_id,
         'sls_order_dt', s.sls_order_dt, 'sls_ship_dt', s.sls_ship_dt, 'sls_due_dt', s.sls_due_dt,
         'sls_sales', s.sls_sales, 'sls_quantity', s.sls_quantity, 'sls_price', s.sls_price, '_extra', s._extra)
  from stg_sales s
  left join sales_superseded x on x._file_id = s._file_id and x._line = s._line
 cross join lateral (
       select case when s.order_number is null or s.product_number is null then 'sales.key_not_null'
                   when x._line is not null then 'sales.superseded' end as rule,
              case when s.order_number is null or s.product_number is null then 'sls_ord_num or sls_prd_key is empty'
                   when x._line is not null then format('order line %s/%s appears again later in the run', s.order_number, s.product_number)
              end as reason
       ) r
 where r.rule is not null
on conflict (file_id, line, stage, rule) do nothing;

-- Gold reads this table next in another transaction: give the planner its new size.
analyze silver.sales (order_number, product_number, customer_id, _run_id);

select (select count(*) from silver.sales where _run_id = meta.ctx_run_id()) as rows_changed;
