-- finish_chunk.sql
-- Purpose: marks a chunk loaded, in the same transaction as its bronze rows and rejects.
-- loaded_at is when the load finished (clock_timestamp(), not now(): now() is the transaction's
-- start, which made the run's bronze window end at the last chunk's start).
-- Inputs: $1 file_id, $2 chunk_index, $3 run_id, $4 read, $5 loaded, $6 rejected, $7 path, $8 ms, $9 fallback,
--         $10 worker (host:pid).
update meta.chunks
   set status = 'loaded', loaded_by_run = $3, rows_read = $4, rows_loaded = $5, rows_rejected = $6,
       load_path = $7, ms = $8, fallback = $9, loaded_by = $10, loaded_at = clock_timestamp()
 where file_id = $1 and chunk_index = $2
