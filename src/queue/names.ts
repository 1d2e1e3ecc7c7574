/** The three queues of a run's flow: gold ← silver (one job per entity) ← bronze (one per chunk). */
export const QUEUES = ['bronze', 'silver', 'gold'] as const;
export type QueueName = (typeof QUEUES)[number];

export function isQueueName(v: string): v is QueueName {
  return (QUEUES as readonly string[]).includes(v);
}
