import path from 'node:path';
import { expect } from 'vitest';
import { generate } from '../../src/generate/generator';
import { runPipeline } from '../../src/pipeline/run-pipeline';
import type { TestEnv } from './test-env';

/**
 * A first load into the test's database: the generator's files for `customers` (seeded), changed
 * by `edit` (given their folder) when the test needs dirt of its own, run by one in-process worker.
 * Fails the test unless the run succeeded; returns its id.
 */
export async function firstLoad(
  t: TestEnv,
  opts: { customers: number; seed: number; asOf: string },
  edit?: (input: string) => void,
): Promise<number> {
  const input = path.join(t.tmp, 'in');
  generate({ out: input, customers: opts.customers, seed: opts.seed, asOf: opts.asOf });
  edit?.(input);
  const summary = await runPipeline(t.rt, { inputDir: input, asOf: opts.asOf, workers: 1 });
  expect(summary.status, summary.message ?? '').toBe('succeeded');
  return summary.runId;
}
