-- 001_schemas_and_meta.sql
-- Purpose: the schemas of the warehouse and the meta tables that track runs, files and chunks.
-- meta.chunks is the idempotency ledger: a chunk's bronze rows and its ledger row commit together.
create schema if not exists meta;
create schema if not exists bronze;
create schema if not exists silver;
create schema if not exists gold;
create schema if not exists quarantine;

create table meta.runs (
  run_id       bigint generated always as identity primary key,
  -- Names the run's BullMQ jobs: unique even when the database is recreated but Redis is not.
  run_key      text not null unique default substr(md5(random()::text || clock_timestamp()::text), 1, 12),
  pipeline     text not null default 'retail',
  status       text not null default 'pending'
               check (status in ('pending', 'running', 'succeeded', 'failed', 'partially_failed', 'noop')),
  as_of        date not null,
  input_dir    text not null,
  flow_job_id  text,
  message      text,
  created_at   timestamptz not null default now(),
  started_at   timestamptz,
  finished_at  timestamptz,
  summary      jsonb
);

create table meta.files (
  file_id            bigint generated always as identity primary key,
  source             text not null,
  path               text not null,
  sha256             text not null unique,
  size_bytes         bigint not null,
  compressed         boolean not null default false,
  header             jsonb,
  columns            jsonb,
  extras             text[] not null default '{}',
  status             text not null default 'pending' check (status in ('pending', 'loaded', 'refused')),
  error              text,
  rows_planned       bigint not null default 0,
  registered_by_run  bigint not null references meta.runs,
  registered_at      timestamptz not null default now()
);

-- Which files a run works on: 'load' (new or unfinished), 'skip' (already loaded), 'refused'.
create table meta.run_files (
  run_id   bigint not null references meta.runs,
  file_id  bigint not null references meta.files,
  role     text not null check (role in ('load', 'skip', 'refused')),
  primary key (run_id, file_id)
);
create index run_files_file_idx on meta.run_files (file_id);

create table meta.chunks (
  file_id         bigint not null references meta.files,
  chunk_index     int not null,
  byte_start      bigint not null,
  byte_end        bigint not null,
  first_line      bigint not null,
  records         bigint not null,
  needs_row_path  boolean not null,
  status          text not null default 'pending' check (status in ('pending', 'loaded')),
  attempts        int not null default 0,
  rows_read       bigint,
  rows_loaded     bigint,
  rows_rejected   bigint,
  load_path       text check (load_path in ('copy', 'rows')),
  fallback        text,
  ms              int,
  loaded_by_run   bigint references meta.runs,
  loaded_by       text,              -- host:pid of the worker process that loaded it
  loaded_at       timestamptz,
  primary key (file_id, chunk_index)
);

-- One row per silver or gold step of a run: what it did and how long it took.
create table meta.steps (
  run_id       bigint not null references meta.runs,
  layer        text not null check (layer in ('bronze', 'silver', 'gold')),
  step         text not null,
  status       text not null check (status in ('running', 'succeeded', 'failed')),
  rows         bigint,
  ms           int,
  error        text,
  attempts     int not null default 1,
  started_at   timestamptz not null default now(),
  finished_at  timestamptz,
  primary key (run_id, layer, step)
);

-- Invariants checked after each run.
create table meta.checks (
  run_id      bigint not null references meta.runs,
  name        text not null,
  passed      boolean not null,
  detail      jsonb not null default '{}',
  checked_at  timestamptz not null default now(),
  primary key (run_id, name)
);

-- Rows refused by bronze (structure) or dropped by a silver rule, never silently lost.
create table quarantine.rejects (
  reject_id   bigint generated always as identity primary key,
  run_id      bigint not null references meta.runs,
  file_id     bigint not null references meta.files,
  source      text not null,
  line        bigint not null,
  stage       text not null check (stage in ('bronze', 'silver')),
  rule        text not null,
  reason      text not null,
  raw         bytea,
  record      jsonb,
  created_at  timestamptz not null default now(),
  unique (file_id, line, stage, rule)
);
create index rejects_run_idx on quarantine.rejects (run_id);

-- The run's values, set per transaction by the loader (see src/db/run-context.ts).
create function meta.ctx_run_id() returns bigint language sql stable
  as $$ select current_setting('metalayer.run_id')::bigint $$;
create function meta.ctx_as_of() returns date language sql stable
  as $$ select current_setting('metalayer.as_of')::date $$;
