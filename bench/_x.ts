import pg from 'pg';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { to as copyTo } from 'pg-copy-streams';
import { copyBetween } from '../src/db/copy';
const url = 'postgres://postgres@127.0.0.1:5432/prof';
const r = new pg.Client({ connectionString: url }); await r.connect();
const w = new pg.Client({ connectionString: url }); await w.connect();
const S = `select set_config('work_mem','256MB',true), set_config('enable_nestloop','off',true), set_config('jit','off',true), set_config('parallel_tuple_cost','0.01',true), set_config('metalayer.run_id','1',true)`;
const mode = process.argv[2];
await r.query('begin read only'); await r.query(S);
let t = performance.now(); let cpu = process.cpuUsage();
if (mode === 'null') {
  let n = 0;
  await pipeline(r.query(copyTo('copy (select * from meta.run_fact_image) to stdout (format binary)')), new Writable({ write(c, _e, cb) { n += c.length; cb(); } }));
  console.log('bytes', n);
} else {
  await w.query('begin'); await w.query('truncate gold.fact_sales');
  await w.query(`select meta.suspend_indexes('gold.fact_sales')`);
  const rows = await copyBetween(r, 'copy (select * from meta.run_fact_image) to stdout (format binary)', w, 'copy gold.fact_sales from stdin (format binary)');
  console.log('rows', rows);
  await w.query('rollback');
}
console.log(mode, ((performance.now() - t) / 1000).toFixed(1), 's; node cpu', (process.cpuUsage(cpu).user / 1e6).toFixed(1), 's user', (process.cpuUsage(cpu).system / 1e6).toFixed(1), 's sys');
await r.end(); await w.end();
