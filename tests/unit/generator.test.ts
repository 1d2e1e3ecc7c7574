import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/generator';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'ml-gen-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('generate', () => {
  it('is deterministic for a seed and different for another', () => {
    const [a, b, c] = [tmp(), tmp(), tmp()];
    generate({ out: a, customers: 300, seed: 7, asOf: '2025-06-30' });
    generate({ out: b, customers: 300, seed: 7, asOf: '2025-06-30' });
    generate({ out: c, customers: 300, seed: 8, asOf: '2025-06-30' });
    const read = (d: string): string => readFileSync(path.join(d, 'source_crm', 'sales_details.csv'), 'utf8');
    expect(read(a)).toBe(read(b));
    expect(read(a)).not.toBe(read(c));
  });

  it('injects every kind of dirt the spec lists and records it', () => {
    const m = generate({ out: tmp(), customers: 5000, seed: 3, asOf: '2025-06-30' });
    const d = m.dirt;
    for (const [name, count] of Object.entries(d.customers)) expect(count, name).toBeGreaterThan(0);
    for (const [name, count] of Object.entries(d)) if (typeof count === 'number') expect(count, name).toBeGreaterThan(0);
    expect(m.expected.silver.customers).toBe(5000);
    expect(m.files.crm_cust_info!.rows).toBe(5000 + m.expected.silver.customersQuarantined);
  });

  it('writes a BOM, CRLF line ends and quoting where the style asks for it', () => {
    const out = tmp();
    generate({ out, customers: 2000, seed: 5, asOf: '2025-06-30' });
    const cust = readFileSync(path.join(out, 'source_crm', 'cust_info.csv'));
    expect(cust.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(cust.toString('utf8')).toContain('\r\n');
    expect(cust.toString('utf8')).toMatch(/"[^"\r\n]*, apt \d+"/);
    const prd = readFileSync(path.join(out, 'source_crm', 'prd_info.csv'), 'utf8');
    expect(prd.endsWith('\n')).toBe(false);
  });
});
