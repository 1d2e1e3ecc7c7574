-- claim_chunk.sql
-- Purpose: claims a pending chunk for loading. The row lock is held until the loading transaction
-- ends, so a concurrent duplicate job waits here and then finds the chunk loaded (0 rows).
-- Inputs: $1 file_id, $2 chunk_index. Output: the chunk row, or nothing if already loaded.
update meta.chunks
   set attempts = attempts + 1
 where file_id = $1 and chunk_index = $2 and status = 'pending'
returning file_id
