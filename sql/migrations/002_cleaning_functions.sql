-- 002_cleaning_functions.sql
-- Purpose: small immutable helpers for the silver rules. Each returns NULL for input it cannot read,
-- never an error, so one dirty value cannot fail a set-based step. Plain SQL: the planner inlines them.

-- Trims spaces, tabs and line breaks; an empty result is NULL.
create function meta.clean_text(v text) returns text language sql immutable parallel safe
  as $$ select nullif(btrim(v, E' \t\r\n'), '') $$;

-- An integer, or NULL when the text is not one (fits in bigint).
create function meta.try_int8(v text) returns bigint language sql immutable parallel safe
  as $$ select case when btrim(v) ~ '^[+-]?[0-9]{1,18}$' then btrim(v)::bigint end $$;

-- True when y-m-d is a real calendar day.
create function meta.is_calendar_day(y int, m int, d int) returns boolean language sql immutable parallel safe
  as $$ select y between 1 and 9999 and m between 1 and 12 and d between 1 and
         extract(day from (make_date(y, m, 1) + interval '1 month - 1 day'))::int $$;

-- A YYYY-MM-DD date, or NULL.
create function meta.try_date(v text) returns date language sql immutable parallel safe
  as $$ select case when btrim(v) ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
                     and meta.is_calendar_day(substr(btrim(v), 1, 4)::int, substr(btrim(v), 6, 2)::int, substr(btrim(v), 9, 2)::int)
                    then btrim(v)::date end $$;

-- The sales rule for YYYYMMDD integers: 0, not 8 digits, or not a calendar day → NULL.
create function meta.int_date(v text) returns date language sql immutable parallel safe
  as $$ select case when btrim(v) ~ '^[0-9]{8}$'
                     and meta.is_calendar_day(substr(btrim(v), 1, 4)::int, substr(btrim(v), 5, 2)::int, substr(btrim(v), 7, 2)::int)
                    then to_date(btrim(v), 'YYYYMMDD') end $$;

-- Street address: trimmed, inner whitespace collapsed, title-cased, common suffixes abbreviated.
create function meta.normalize_address(v text) returns text language sql immutable parallel safe
  as $$
  select nullif(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
    regexp_replace(regexp_replace(regexp_replace(regexp_replace(
      initcap(regexp_replace(btrim(v, E' \t\r\n'), '\s+', ' ', 'g')),
      '\mStreet\M', 'St', 'g'), '\mAvenue\M', 'Ave', 'g'), '\mRoad\M', 'Rd', 'g'),
      '\mBoulevard\M', 'Blvd', 'g'), '\mDrive\M', 'Dr', 'g'), '\mLane\M', 'Ln', 'g'),
      '\mCourt\M', 'Ct', 'g'), '\mPlace\M', 'Pl', 'g'), '\mTerrace\M', 'Ter', 'g'), '\mHighway\M', 'Hwy', 'g'),
    '')
  $$;

-- Phone: digits only (a leading + kept); valid with 10 to 15 digits and then stored as +<digits>.
create function meta.normalize_phone(v text) returns text language sql immutable parallel safe
  as $$ select case when length(regexp_replace(v, '[^0-9]', '', 'g')) between 10 and 15
                    then '+' || regexp_replace(v, '[^0-9]', '', 'g') end $$;

-- E-mail: trimmed and lower-cased; NULL unless it matches a standard address pattern.
create function meta.normalize_email(v text) returns text language sql immutable parallel safe
  as $$ select case when lower(btrim(v, E' \t\r\n')) ~ '^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$'
                    then lower(btrim(v, E' \t\r\n')) end $$;

-- Calendar months between two dates: (year2 - year1) * 12 + month2 - month1.
create function meta.months_between(d1 date, d2 date) returns int language sql immutable parallel safe
  as $$ select ((extract(year from d2) - extract(year from d1)) * 12 + extract(month from d2) - extract(month from d1))::int $$;
