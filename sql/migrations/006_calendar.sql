-- 006_calendar.sql
-- Purpose: every valid calendar day from 1800 to 2199, keyed by its two text spellings in the
-- sources (YYYYMMDD and YYYY-MM-DD). Silver parses dates by a hash join on the raw text, which on
-- millions of rows is an order of magnitude cheaper than evaluating a parsing function per value;
-- values that find no day here fall back to meta.int_date / meta.try_date (same rules).
create table meta.calendar (
  yyyymmdd  text primary key,
  iso       text not null unique,
  day       date not null unique
);
insert into meta.calendar (yyyymmdd, iso, day)
select to_char(d, 'YYYYMMDD'), to_char(d, 'YYYY-MM-DD'), d::date
  from generate_series('1800-01-01'::date, '2199-12-31'::date, interval '1 day') as d;
analyze meta.calendar;
