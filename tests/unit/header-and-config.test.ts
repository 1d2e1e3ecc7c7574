import { describe, expect, it } from 'vitest';
import { mapHeader } from '../../src/contracts/header';
import { RETAIL_SOURCES, sourceByName } from '../../src/contracts/retail';
import { loadConfig } from '../../src/config/env';
import { isRetryable } from '../../src/errors/classify';
import { redact } from '../../src/errors/redact';
import { quoteIdent } from '../../src/db/ident';
import { TransientError } from '../../src/errors/transient-error';
import { ContractError } from '../../src/errors/contract-error';
import { discoverFiles } from '../../src/pipeline/discover';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const cust = sourceByName('crm_cust_info')!;
const loc = sourceByName('erp_loc_a101')!;

describe('header mapping', () => {
  it('maps names case-insensitively in any order and keeps unknown columns as extras', () => {
    const m = mapHeader(loc, ['cntry', ' Cid ', 'Region'], 'f.csv');
    expect(m.columns).toEqual(['cntry', 'cid', null]);
    expect(m.extras).toEqual(['Region']);
  });

  it('loads a file without the optional contact columns', () => {
    const m = mapHeader(cust, ['cst_id', 'cst_key', 'cst_firstname', 'cst_lastname', 'cst_marital_status', 'cst_gndr', 'cst_create_date'], 'f.csv');
    expect(m.missingOptional).toEqual(['cst_email', 'cst_phone', 'cst_address', 'cst_city', 'cst_postal_code']);
  });

  it('refuses a file without a required column and names it', () => {
    expect(() => mapHeader(loc, ['CID'], 'loc.csv')).toThrow(ContractError);
    expect(() => mapHeader(loc, ['CID'], 'loc.csv')).toThrow(/required column CNTRY missing/);
  });

  it('refuses a duplicated header name', () => {
    expect(() => mapHeader(loc, ['CID', 'CNTRY', 'cid'], 'loc.csv')).toThrow(/names column "cid" twice/);
  });
});

describe('configuration', () => {
  it('applies defaults and parses numbers', () => {
    const c = loadConfig({ METALAYER_CHUNK_BYTES: '65536' });
    expect(c.databaseUrl).toBe('postgres://127.0.0.1:5432/metalayer');
    expect(c.queuePrefix).toBe('{metalayer}');
    expect(c.chunkBytes).toBe(65536);
    expect(c.salesReadWorkers).toBe(2);
    expect(loadConfig({ METALAYER_SALES_READ_WORKERS: '0' }).salesReadWorkers).toBe(0);
  });

  it('names every bad variable', () => {
    expect(() => loadConfig({ METALAYER_SALES_READ_WORKERS: '-1' })).toThrow(/METALAYER_SALES_READ_WORKERS/);
    expect(() => loadConfig({ METALAYER_CHUNK_BYTES: 'lots', METALAYER_PREFIX: 'a b' })).toThrow(/METALAYER_CHUNK_BYTES.*METALAYER_PREFIX|METALAYER_PREFIX.*METALAYER_CHUNK_BYTES/);
  });
});

describe('errors', () => {
  it('tells retryable from permanent', () => {
    expect(isRetryable({ code: '40P01' })).toBe(true); // deadlock
    expect(isRetryable({ code: '40001' })).toBe(true); // serialization failure
    expect(isRetryable({ code: '57P01' })).toBe(true); // terminated by admin
    expect(isRetryable({ code: 'ECONNRESET' })).toBe(true);
    expect(isRetryable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isRetryable(new TransientError('x'))).toBe(true);
    expect(isRetryable({ code: '23505' })).toBe(false); // unique violation
    expect(isRetryable({ code: '42601' })).toBe(false); // syntax error
    expect(isRetryable(new ContractError('x'))).toBe(false);
  });

  it('redacts passwords in connection strings', () => {
    expect(redact('connect postgres://etl:s3cr3t@db:5432/x failed')).toBe('connect postgres://etl:***@db:5432/x failed');
    expect(redact('redis://:pw@cache:6379')).toBe('redis://:***@cache:6379');
    expect(redact('postgres://127.0.0.1/x')).toBe('postgres://127.0.0.1/x');
  });

  it('validates identifiers before quoting them', () => {
    expect(quoteIdent('crm_cust_info')).toBe('"crm_cust_info"');
    expect(() => quoteIdent('x"; drop table y; --')).toThrow(/invalid SQL identifier/);
  });
});

describe('file discovery', () => {
  it('finds sources by prefix, case-insensitively, in sub-folders, .csv and .csv.gz only', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ml-discover-'));
    mkdirSync(path.join(dir, 'erp'));
    for (const f of ['CUST_INFO_2024.csv', 'erp/LOC_A101.csv.gz', 'erp/px_cat_g1v2.CSV', 'notes.txt', 'sales_details.csv.bak', 'erp/.hidden.csv']) {
      writeFileSync(path.join(dir, f), 'x\n');
    }
    const found = discoverFiles(dir, RETAIL_SOURCES).map((f) => `${path.relative(dir, f.path)}:${f.source.name}`);
    expect(found).toEqual(['CUST_INFO_2024.csv:crm_cust_info', 'erp/LOC_A101.csv.gz:erp_loc_a101', 'erp/px_cat_g1v2.CSV:erp_px_cat_g1v2']);
  });
});
