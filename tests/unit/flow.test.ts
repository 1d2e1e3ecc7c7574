import { describe, expect, it } from 'vitest';
import { DIMENSION_INPUTS, SILVER_ENTITIES } from '../../src/contracts/retail';
import { biggerSilverNotStarted, referencedSilverNotDone, type RunReadiness } from '../../src/pipeline/readiness';
import { buildFlow, silverOrder } from '../../src/queue/flow';

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

  it('loads the bronze chunks of the smallest sources first, so that their silver steps and the dimensions run beside the biggest source', () => {
    const flow = buildFlow(plan, {});
    const silver = [...flow.children!, ...flow.children!.flatMap((c) => c.children ?? [])].filter((c) => c.queueName === 'silver');
    const bronze = silver.flatMap((s) => s.children!.map((b) => ({ entity: s.data.entity as string, priority: b.opts!.priority! })));
    expect(bronze).toHaveLength(9 + 3 + SILVER_ENTITIES.length - 2);
    const order = [...new Set(bronze.sort((a, b) => a.priority - b.priority).map((b) => b.entity))];
    expect(order.slice(-2)).toEqual(['customers', 'sales']);
    // Every chunk of a source has its source's priority.
    for (const s of silver) expect(new Set(s.children!.map((b) => b.opts!.priority)).size).toBe(1);
  });

  it('gives the biggest silver step the first priority', () => {
    const flow = buildFlow(plan, {});
    const silver = [...flow.children!, ...flow.children!.flatMap((c) => c.children ?? [])].filter((c) => c.queueName === 'silver');
    const byPriority = silver.sort((a, b) => a.opts!.priority! - b.opts!.priority!).map((c) => c.data.entity);
    expect(byPriority.slice(0, 2)).toEqual(['sales', 'customers']);
  });

  it("starts what another step's expectations read first (order lines → products), then the biggest", () => {
    const references = new Map([['sales', ['products']]]);
    const flow = buildFlow({ ...plan, references }, {});
    const silver = [...flow.children!, ...flow.children!.flatMap((c) => c.children ?? [])].filter((c) => c.queueName === 'silver');
    const byPriority = silver.sort((a, b) => a.opts!.priority! - b.opts!.priority!).map((c) => c.data.entity);
    expect(byPriority.slice(0, 3)).toEqual(['products', 'sales', 'customers']);
    // A chain puts the deepest first; a run without the referrer keeps biggest first.
    const chain = new Map([['sales', ['products']], ['products', ['categories']]]);
    expect(silverOrder(plan.entities.map((e) => ({ entity: e.entity, chunks: e.chunks.length })), chain).map((e) => e.entity).slice(0, 3)).toEqual(['categories', 'products', 'sales']);
    expect(silverOrder([{ entity: 'customers', chunks: 3 }, { entity: 'products', chunks: 1 }], references).map((e) => e.entity)).toEqual(['customers', 'products']);
  });

  it('a silver worker waits for what its step reads, and the referenced step never waits for its referrer', () => {
    const references = new Map([['sales', ['products']]]);
    const readiness = (started: string[], done: string[]): RunReadiness => ({
      pendingChunks: new Map(),
      chunks: new Map([['crm_sales_details', 9], ['erp_px_cat_g1v2', 1], ['crm_prd_info', 1], ['crm_cust_info', 3]]),
      silverDone: new Set(done),
      silverStarted: new Set(started),
    });
    expect(referencedSilverNotDone(readiness(['products'], []), 'sales', references)).toBe('products');
    expect(referencedSilverNotDone(readiness(['products'], ['products']), 'sales', references)).toBeUndefined();
    expect(biggerSilverNotStarted(readiness([], []), 'products', references)).toBeUndefined();
    expect(biggerSilverNotStarted(readiness([], []), 'sales', references)).toBe('products');
    expect(biggerSilverNotStarted(readiness(['products'], []), 'customers', references)).toBe('sales');
    // A bigger step whose chunks still load holds nobody back: the small sources load first.
    const salesLoading = { ...readiness(['products'], []), pendingChunks: new Map([['crm_sales_details', 4]]) };
    expect(biggerSilverNotStarted(salesLoading, 'customers', references)).toBeUndefined();
    // A cycle of references (a mistake in the expectations) must not make two steps wait for each other.
    const cycle = new Map([['sales', ['products']], ['products', ['sales']]]);
    const waits = ['sales', 'products'].filter((e) => referencedSilverNotDone(readiness([], []), e, cycle) !== undefined);
    expect(waits).toHaveLength(1);
  });

  it('has no dimensions job when none of its inputs is left (a resumed run)', () => {
    const flow = buildFlow({ ...plan, entities: plan.entities.filter((e) => e.entity === 'sales') }, {});
    expect(flow.children!.map((c) => c.name)).toEqual(['silver-sales']);
  });
});
