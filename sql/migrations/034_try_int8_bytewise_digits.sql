-- 034_try_int8_bytewise_digits.sql
-- Purpose: meta.try_int8 (migration 002) tests its common case, a plain run of digits, on the
-- value's bytes instead of its characters. In a UTF-8 database ltrim(text, '0123456789') and
-- length(text) are multibyte-aware: per call ltrim measures every character of the value and
-- compares it with each of the ten in the set (memcmp), and length counts characters. In a CPU
-- profile of the order lines' first load (perf, 2026-12-06) that was the largest part of the
-- parse: the multibyte helpers and memcmp about 15 % of the statement's CPU, four such values per
-- line. decode(…, 'escape') gives the same bytes as a bytea (no copy of meaning: only a backslash
-- is special, and a value with one is not a number, so it is kept out by strpos before decode sees
-- it), whose ltrim compares bytes; octet_length is the stored length. For a run of ASCII digits
-- both tests agree, and anything else falls to the unchanged second branch, so every value gives
-- what it gave before (tests/integration/cleaning-functions.test.ts compares the two over edge
-- cases and random text). decode, strpos and the bytea ltrim are immutable: the function is still
-- inlined into the statements that call it (the planner folds chr(92), a backslash, and the
-- hex-decoded digits to constants; written so, the body means the same whatever a session's
-- standard_conforming_strings). Measured on the quick bench warehouse's 750 k order lines,
-- CREATE TABLE AS of meta.run_sales_image, six pairs in turn: 1.55 s and 3.01 core-s against
-- 1.68 s and 3.28 (bench/HISTORY.md, 2026-12-06).

create or replace function meta.try_int8(v text) returns bigint language sql immutable parallel safe
  as $$ select case when octet_length(v) between 1 and 18
                     and ltrim(decode(case when strpos(v, chr(92)) = 0 then v end, 'escape'), decode('30313233343536373839', 'hex')) = ''::bytea
                    then v::bigint
                    when meta.is_int_text(btrim(v)) then btrim(v)::bigint end $$;
