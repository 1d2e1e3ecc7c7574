import { describe, expect, it } from 'vitest';
import { DIMENSION_INPUTS, SILVER_ENTITIES } from '../../src/contracts/retail';
import { buildFlow } from '../../src/queue/flow';

// The shape of a run's flow: what may start before what.
const chunks = (n: number) => Array.from({ length: n }, (_, i) => ({ fileId: 1, chunkIndex: i }));
const plan = {
  runId: 7,
  runKey: 'k',
  entities: SILVER_ENTITIES.map((entity) => ({ entity, chunks: chunks(entity === 'sales' ? 9 : entity === 'customers' ? 3 : 1) })),
};

describe('a run flow', () => {
  it('runs the gold dimensions after their silver inputs only, and gold after the dimensions and the order lines', () => {
    const flow = buildFlow(plan, { attempts: 3 });
    expect(flow.queueName).toBe('gold');
    expect(flow.children!.map((c) => c.name).sort()).toEqual(['gold-dimensions', 'silver-sales']);
    const dims = flow.children!.find((c) => c.name === 'gold-dimensions')!;
    expect(dims.data).toEqual({ runId: 7, part: 'dimensions' });
    expect(dims.opts!.failParentOnFailure).toBe(true);
    expect(dims.children!.map((c) => c.data.entity).sort()).toEqual([...DIMENSION_INPUTS].sort());
    expect(DIMENSION_INPUTS).not.toContain('sales');
  });

  it('gives the biggest silver step the first priority', () => {
    const flow = buildFlow(plan, {});
    const silver = [...flow.children!, ...flow.children!.flatMap((c) => c.children ?? [])].filter((c) => c.queueName === 'silver');
    const byPriority = silver.sort((a, b) => a.opts!.priority! - b.opts!.priority!).map((c) => c.data.entity);
    expect(byPriority.slice(0, 2)).toEqual(['sales', 'customers']);
  });

  it('has no dimensions job when none of its inputs is left (a resumed run)', () => {
    const flow = buildFlow({ ...plan, entities: plan.entities.filter((e) => e.entity === 'sales') }, {});
    expect(flow.children!.map((c) => c.name)).toEqual(['silver-sales']);
  });
});
