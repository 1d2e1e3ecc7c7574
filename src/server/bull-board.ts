import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { MONITORED_QUEUES } from '../queue/names';

export const BOARD_PATH = '/admin/queues';

/** Bull Board over every MetaLayer queue; parents and children of a run's flow link to each other. */
export function createBoard(connection: Redis, prefix: string): { router: ReturnType<ExpressAdapter['getRouter']>; close(): Promise<void> } {
  const queues = MONITORED_QUEUES.map((name) => new Queue(name, { connection, prefix }));
  const serverAdapter = new ExpressAdapter().setBasePath(BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { description: `MetaLayer ${q.name} queue` })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'MetaLayer' } },
  });
  return {
    router: serverAdapter.getRouter(),
    close: async () => {
      await Promise.all(queues.map((q) => q.close()));
    },
  };
}
