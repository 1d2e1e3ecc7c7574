-- silver/customers.sql
-- Purpose: CRM customers of the run's files → silver.customers: typed, cleaned, de-duplicated.
-- Inputs: meta.ctx_file_ids() (the run's files of this source, set by the step runner); bronze.crm_cust_info rows of meta.run_files (role 'load') of meta.ctx_run_id().
-- Outputs: silver.customers upserted (only rows that change), or on an empty table (a first load)
-- inserted by one sorted pass; dropped rows in quarantine.rejects (the same on both paths:
-- tests/integration/customers-load.test.ts).
-- Grain: one row per customer_id. Key: customer_id.
-- Rules: NULL/non-integer cst_id dropped; per cst_id the latest cst_create_date wins (NULLs last),
-- ties to the most recently loaded row (higher file id, then line), also against the row already
-- in silver; names trimmed; codes mapped; contacts normalised; quality score = checks passed / 4
-- (meta.customer_quality).

create temp table stg_customers on commit drop as
select b.*,
       meta.try_int8(b.cst_id)                         as customer_id,
       meta.clean_text(b.cst_id)                       as cst_id_text,
       meta.clean_text(b.cst_key)                      as customer_number,
       meta.clean_text(b.cst_firstname)                as first_name,
       meta.clean_text(b.cst_lastname)                 as last_name,
       case upper(btrim(b.cst_marital_status)) when 'S' then 'Single' when 'M' then 'Married' else 'n/a' end
                                                       as marital_status,
       case upper(btrim(b.cst_gndr)) when 'F' then 'Female' when 'M' then 'Male' else 'n/a' end
                                                       as gender,
       coalesce(cc.day, meta.try_date(b.cst_create_date))
                                                       as create_date,
       meta.email_text(b.cst_email)                    as email_text,   -- validated in the upsert
       meta.phone_digits(b.cst_phone)                  as phone_digits, -- (once per row, from the column)
       meta.normalize_address(b.cst_address)           as address,
       initcap(nullif(regexp_replace(btrim(b.cst_city, E' \t\r\n'), '\s+', ' ', 'g'), '')) as city,
       upper(meta.clean_text(b.cst_postal_code))       as postal_code
  from bronze.crm_cust_info b
  left join meta.calendar cc on cc.iso = b.cst_create_date  -- dates by lookup (migration 006)
 where b._file_id = any(meta.ctx_file_ids());  -- the run's files of this source (migration 013)

-- Rows without a usable key.
insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), s._file_id, 'crm_cust_info', s._line, 'silver',
       case when s.cst_id_text is null then 'customers.cst_id_not_null' else 'customers.cst_id_integer' end,
       case when s.cst_id_text is null then 'cst_id is empty' else format('cst_id %L is not an integer', s.cst_id_text) end,
       meta.customer_record(s.cst_id, s.cst_key, s.cst_firstname, s.cst_lastname, s.cst_marital_status, s.cst_gndr,
         s.cst_create_date, s.cst_email, s.cst_phone, s.cst_address, s.cst_city, s.cst_postal_code, s._extra)
  from stg_customers s
 where s.customer_id is null
on conflict (file_id, line, stage, rule) do nothing;
analyze stg_customers (customer_id, _file_id, _line);  -- only the columns joins and filters use: cheaper
-- A small increment reaches silver's rows through the primary key (migration 012).
select meta.use_key_lookups_for('stg_customers', 'silver.customers');  -- sized by the analyse above (migration 018)

-- An empty silver.customers (a first load, a backfill) has no row to rank the run's rows against:
-- its winners go straight in by one sorted pass (below), and the ranking, the winners' table and
-- their update are skipped: seed scale, 1 M customers, those statements 5.5-6.0 s -> 4.3-4.5 s,
-- the step alone 12.4-12.7 s -> 11.1-11.3 s (bench/HISTORY.md, 2026-12-06, fifteenth session).
-- Each statement of one path is a no-op on the other: the condition is evaluated once, before any
-- row is read.
create temp table customers_whole on commit drop as
select not exists (select 1 from silver.customers) as whole;

-- Rank every candidate per customer: this run's rows and the row silver already holds.
create temp table ranked_customers on commit drop as
select c.*,
       row_number() over w as rn,
       first_value(c._file_id) over w as win_file_id,
       first_value(c._line) over w as win_line
  from (
        select s._file_id, s._line, s.customer_id, s.create_date, true as incoming
          from stg_customers s
         where s.customer_id is not null and not (select whole from customers_whole)
        union all
        select sc._file_id, sc._line, sc.customer_id, sc.create_date, false
          from silver.customers sc
         where sc.customer_id in (select customer_id from stg_customers where customer_id is not null)
       ) c
window w as (partition by c.customer_id
             order by c.create_date desc nulls last, c._file_id desc, c._line desc, c.incoming desc);
analyze ranked_customers (customer_id, _file_id, _line, rn);  -- only the columns joins and filters use: cheaper

insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), r._file_id, 'crm_cust_info', r._line, 'silver', 'customers.superseded',
       format('customer %s: superseded by the row of file %s line %s (newer create date, or loaded later)',
              r.customer_id, r.win_file_id, r.win_line),
       meta.customer_record(s.cst_id, s.cst_key, s.cst_firstname, s.cst_lastname, s.cst_marital_status, s.cst_gndr,
         s.cst_create_date, s.cst_email, s.cst_phone, s.cst_address, s.cst_city, s.cst_postal_code, s._extra)
  from ranked_customers r
  join stg_customers s on s._file_id = r._file_id and s._line = r._line
 where r.incoming and r.rn > 1
on conflict (file_id, line, stage, rule) do nothing;

-- The winning rows with their final values, then update and insert apart (not INSERT … ON
-- CONFLICT: the step's lock excludes concurrent writers, and a plain insert costs about half a
-- speculative one per row).
create temp table customer_winners on commit drop as
select s.customer_id, s.customer_number, s.first_name, s.last_name, s.marital_status, s.gender, s.create_date,
       meta.valid_email(s.email_text) as email, meta.phone_from_digits(s.phone_digits) as phone,
       s.address, s.city, s.postal_code, s._file_id, s._line
  from ranked_customers r
  join stg_customers s on s._file_id = r._file_id and s._line = r._line
 where r.incoming and r.rn = 1;
analyze customer_winners (customer_id);

update silver.customers t
   set customer_number = w.customer_number, first_name = w.first_name, last_name = w.last_name,
       marital_status = w.marital_status, gender = w.gender, create_date = w.create_date, email = w.email,
       phone = w.phone, address = w.address, city = w.city, postal_code = w.postal_code,
       quality_score = meta.customer_quality(w.first_name, w.last_name, w.email, w.phone, w.address, w.city, w.postal_code),
       _file_id = w._file_id, _line = w._line, _run_id = meta.ctx_run_id(), _updated_at = now()
  from customer_winners w
 where t.customer_id = w.customer_id
   and (t.customer_number, t.first_name, t.last_name, t.marital_status, t.gender, t.create_date, t.email,
        t.phone, t.address, t.city, t.postal_code, t._file_id, t._line)
       is distinct from
       (w.customer_number, w.first_name, w.last_name, w.marital_status, w.gender, w.create_date, w.email,
        w.phone, w.address, w.city, w.postal_code, w._file_id, w._line);

-- An empty table (the first load): its indexes are built once after the insert, not row by
-- row (migration 011; a no-op when the table has rows).
select meta.suspend_indexes('silver.customers');

insert into silver.customers (customer_id, customer_number, first_name, last_name, marital_status, gender, create_date,
                              email, phone, address, city, postal_code, quality_score, _file_id, _line, _run_id)
select w.customer_id, w.customer_number, w.first_name, w.last_name, w.marital_status, w.gender, w.create_date,
       w.email, w.phone, w.address, w.city, w.postal_code,
       meta.customer_quality(w.first_name, w.last_name, w.email, w.phone, w.address, w.city, w.postal_code),
       w._file_id, w._line, meta.ctx_run_id()
  from customer_winners w
 where not exists (select 1 from silver.customers t where t.customer_id = w.customer_id);

-- The first load's winners: per customer the latest create date, then the latest file and line (the
-- ranking's order; no silver row to lose to), cleaned once each (the fence keeps the e-mail and
-- phone checks from being inlined twice into the quality score).
insert into silver.customers (customer_id, customer_number, first_name, last_name, marital_status, gender, create_date,
                              email, phone, address, city, postal_code, quality_score, _file_id, _line, _run_id)
select w.customer_id, w.customer_number, w.first_name, w.last_name, w.marital_status, w.gender, w.create_date,
       w.email, w.phone, w.address, w.city, w.postal_code,
       meta.customer_quality(w.first_name, w.last_name, w.email, w.phone, w.address, w.city, w.postal_code),
       w._file_id, w._line, meta.ctx_run_id()
  from (select d.customer_id, d.customer_number, d.first_name, d.last_name, d.marital_status, d.gender, d.create_date,
               meta.valid_email(d.email_text) as email, meta.phone_from_digits(d.phone_digits) as phone,
               d.address, d.city, d.postal_code, d._file_id, d._line
          from (select distinct on (s.customer_id) s.customer_id, s.customer_number, s.first_name, s.last_name,
                       s.marital_status, s.gender, s.create_date, s.email_text, s.phone_digits, s.address, s.city,
                       s.postal_code, s._file_id, s._line
                  from stg_customers s
                 where s.customer_id is not null and (select whole from customers_whole)
                 order by s.customer_id, s.create_date desc nulls last, s._file_id desc, s._line desc) d
        offset 0) w;

select meta.restore_indexes('silver.customers');

-- The first load's losers, each named with the row that won (now silver's, found by its key). The
-- ranking path's losers went in above, from the ranking; one statement for both, joining the
-- losers back to their staged rows, took 1.9 s here against 1.1-1.4.
insert into quarantine.rejects (run_id, file_id, source, line, stage, rule, reason, record)
select meta.ctx_run_id(), s._file_id, 'crm_cust_info', s._line, 'silver', 'customers.superseded',
       format('customer %s: superseded by the row of file %s line %s (newer create date, or loaded later)',
              s.customer_id, sc._file_id, sc._line),
       meta.customer_record(s.cst_id, s.cst_key, s.cst_firstname, s.cst_lastname, s.cst_marital_status, s.cst_gndr,
         s.cst_create_date, s.cst_email, s.cst_phone, s.cst_address, s.cst_city, s.cst_postal_code, s._extra)
  from stg_customers s
  join silver.customers sc on sc.customer_id = s.customer_id
 where (select whole from customers_whole)
   and (sc._file_id, sc._line) <> (s._file_id, s._line)
on conflict (file_id, line, stage, rule) do nothing;

-- Gold reads this table next in another transaction: give the planner its new size once a
-- tenth of it changed (migration 021). A small day's rows need no fresh statistics here: the
-- dimensions find them by `_run_id` into a list of touched customers that they analyse before
-- joining (unlike the order lines: sales_keys_and_rejects.sql).
select meta.analyze_if_stale('silver.customers', 'customer_id', 'customer_number', '_run_id');

select (select count(*) from silver.customers where _run_id = meta.ctx_run_id()) as rows_changed;
