-- 002_cleaning_functions.sql
-- Purpose: small immutable helpers for the silver rules. Each returns NULL for input it cannot read,
-- never an error, so one dirty value cannot fail a set-based step. Plain SQL: the planner inlines them.

-- Trims spaces, tabs and line breaks; an empty result is NULL.
create function meta.clean_text(v text) returns text language sql immutable parallel safe
  as $$ select nullif(btrim(v, E' \t\r\n'), '') $$;

-- Checks are written with ltrim/length, not regular expressions: on a million rows a regex
-- match costs about three times as much, and these run on every value of every row.

-- True when t is an optionally signed run of 1 to 18 digits (fits in bigint).
create function meta.is_int_text(t text) returns boolean language sql immutable parallel safe
  as $$ select case when left(t, 1) in ('+', '-') then length(t) between 2 and 19 and ltrim(substr(t, 2), '0123456789') = ''
                    else length(t) between 1 and 18 and ltrim(t, '0123456789') = '' end $$;

-- An integer, or NULL when the text is not one. The first branch is the common case (plain
-- digits) and avoids btrim, whose result the inlined expression would otherwise compute 5 times.
create function meta.try_int8(v text) returns bigint language sql immutable parallel safe
  as $$ select case when length(v) between 1 and 18 and ltrim(v, '0123456789') = '' then v::bigint
                    when meta.is_int_text(btrim(v)) then btrim(v)::bigint end $$;

-- True when y-m-d is a real calendar day. CASE, not AND: make_date must never see month 13.
create function meta.is_calendar_day(y int, m int, d int) returns boolean language sql immutable parallel safe
  as $$ select case when y between 1 and 9999 and m between 1 and 12
                    then d between 1 and case when m = 2 then case when (y % 4 = 0 and y % 100 <> 0) or y % 400 = 0 then 29 else 28 end
                                              when m in (4, 6, 9, 11) then 30 else 31 end
                    else false end $$;

-- The date of year, month and day given as digit strings, or NULL when there is no such day.
-- make_date, not a cast: text::date depends on DateStyle (stable), and only functions built
-- from immutable parts are inlined by the planner into the set-based SQL that calls them.
create function meta.ymd(y text, m text, d text) returns date language sql immutable parallel safe
  as $$ select case when meta.is_calendar_day(y::int, m::int, d::int) then make_date(y::int, m::int, d::int) end $$;

-- A YYYY-MM-DD date, or NULL.
create function meta.try_date(v text) returns date language sql immutable parallel safe
  as $$ select case when length(btrim(v)) = 10 and substr(btrim(v), 5, 1) = '-' and substr(btrim(v), 8, 1) = '-'
                     and ltrim(replace(btrim(v), '-', ''), '0123456789') = '' and length(replace(btrim(v), '-', '')) = 8
                    then meta.ymd(substr(btrim(v), 1, 4), substr(btrim(v), 6, 2), substr(btrim(v), 9, 2)) end $$;

-- The sales rule for YYYYMMDD integers: 0, not 8 digits, or not a calendar day → NULL.
create function meta.int_date(v text) returns date language sql immutable parallel safe
  as $$ select case when length(btrim(v)) = 8 and ltrim(btrim(v), '0123456789') = ''
                    then meta.ymd(substr(btrim(v), 1, 4), substr(btrim(v), 5, 2), substr(btrim(v), 7, 2)) end $$;

-- Street address: trimmed, inner whitespace collapsed, title-cased, common suffixes abbreviated.
-- Suffixes are replaced as whole words with replace() on the space-padded text (a comma is
-- spaced off first so that "Street," matches): plain replace() is an order of magnitude cheaper
-- than a chain of word-boundary regular expressions, and this runs once per customer row.
create function meta.normalize_address(v text) returns text language sql immutable parallel safe
  as $$
  select nullif(btrim(replace(
    replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(
      ' ' || replace(initcap(regexp_replace(btrim(v, E' \t\r\n'), '\s+', ' ', 'g')), ',', ' ,') || ' ',
      ' Street ', ' St '), ' Avenue ', ' Ave '), ' Road ', ' Rd '), ' Boulevard ', ' Blvd '),
      ' Drive ', ' Dr '), ' Lane ', ' Ln '), ' Court ', ' Ct '), ' Place ', ' Pl '),
      ' Terrace ', ' Ter '), ' Highway ', ' Hwy '), ' Parkway ', ' Pkwy '), ' Square ', ' Sq '),
    ' ,', ',')), '')
  $$;

-- Phone, in two steps so that set-based SQL can keep the digits in a column and not extract
-- them twice: meta.phone_digits (digits only), then meta.phone_from_digits (valid with 10 to 15
-- digits, stored as +<digits>; NULL otherwise).
create function meta.phone_digits(v text) returns text language sql immutable parallel safe
  as $$ select regexp_replace(v, '[^0-9]', '', 'g') $$;
create function meta.phone_from_digits(d text) returns text language sql immutable parallel safe
  as $$ select case when length(d) between 10 and 15 then '+' || d end $$;
create function meta.normalize_phone(v text) returns text language sql immutable parallel safe
  as $$ select meta.phone_from_digits(meta.phone_digits(v)) $$;

-- E-mail, likewise in two steps: trimmed and lower-cased, then NULL unless it matches a standard
-- address pattern.
create function meta.email_text(v text) returns text language sql immutable parallel safe
  as $$ select lower(btrim(v, E' \t\r\n')) $$;
create function meta.valid_email(e text) returns text language sql immutable parallel safe
  as $$ select case when e ~ '^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$' then e end $$;
create function meta.normalize_email(v text) returns text language sql immutable parallel safe
  as $$ select meta.valid_email(meta.email_text(v)) $$;

-- The sales repair rules, as functions so that every statement applies the same rule:
-- sales NULL, ≤ 0 or ≠ quantity × |price| → quantity × |price|;
-- price NULL or ≤ 0 → the original sales ÷ quantity (integer division).
create function meta.repaired_sales(sales bigint, quantity bigint, price bigint) returns bigint language sql immutable parallel safe
  as $$ select case when sales is null or sales <= 0 or sales <> quantity * abs(price) then quantity * abs(price) else sales end $$;
create function meta.repaired_price(sales bigint, quantity bigint, price bigint) returns bigint language sql immutable parallel safe
  as $$ select case when price is null or price <= 0 then sales / nullif(quantity, 0) else price end $$;

-- A customer row's quality score: the share of its checks passed (name present, e-mail valid,
-- phone valid, address complete), 0 to 1. Takes the already-normalised values (NULL = failed).
create function meta.customer_quality(first_name text, last_name text, email text, phone text,
                                      address text, city text, postal_code text)
  returns numeric language sql immutable parallel safe
  as $$ select ((case when first_name is not null and last_name is not null then 1 else 0 end)
              + (case when email is not null then 1 else 0 end)
              + (case when phone is not null then 1 else 0 end)
              + (case when address is not null and city is not null and postal_code is not null then 1 else 0 end)
               )::numeric / 4 $$;

-- Calendar months between two dates: (year2 - year1) * 12 + month2 - month1.
create function meta.months_between(d1 date, d2 date) returns int language sql immutable parallel safe
  as $$ select ((extract(year from d2) - extract(year from d1)) * 12 + extract(month from d2) - extract(month from d1))::int $$;
