-- 007_file_modified_at.sql
-- Purpose: the modification time of each file when it was planned. A bronze job compares the
-- file's size and mtime with these before and after reading its chunk: a file that changed since
-- it was planned (chunk offsets no longer valid) fails its job instead of loading a mix of two
-- versions.
alter table meta.files add column modified_at timestamptz;
