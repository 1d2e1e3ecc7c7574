import type pg from 'pg';

/**
 * A partitioned table's leaf partitions, each with its bound and its indexes, and for each index
 * the parent index it is attached to ('-' when none): what a partition swapped in must match.
 */
export async function partitionsOf(c: pg.ClientBase, table: string): Promise<{ partition: string; bound: string; indexes: string[] }[]> {
  const { rows } = await c.query(
    `select p.relid::regclass::text as partition, pg_get_expr(r.relpartbound, r.oid) as bound,
            array(select ix.indexrelid::regclass::text || ' -> ' || coalesce(h.inhparent::regclass::text, '-')
                    from pg_index ix left join pg_inherits h on h.inhrelid = ix.indexrelid
                   where ix.indrelid = p.relid order by 1) as indexes
       from pg_partition_tree($1::regclass) p join pg_class r on r.oid = p.relid
      where p.isleaf order by 1`,
    [table],
  );
  return rows;
}
