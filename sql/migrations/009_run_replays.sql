-- 009_run_replays.sql
-- Purpose: how many times a run's quarantined rows were replayed (`metalayer replay`). Each replay
-- adds a flow whose job ids carry this number, so they never collide with the run's earlier jobs.
alter table meta.runs add column replays int not null default 0;
