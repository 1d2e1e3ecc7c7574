/** The three queues of a run's flow: gold ← silver (one job per entity) ← bronze (one per chunk). */
export const QUEUES = ['bronze', 'silver', 'gold'] as const;
export type QueueName = (typeof QUEUES)[number];

export function isQueueName(v: string): v is QueueName {
  return (QUEUES as readonly string[]).includes(v);
}

/** The queue of the scheduler's periodic ticks (served by `metalayer scheduler` processes only). */
export const SCHEDULE_QUEUE = 'schedule';

/** Every queue whose health /metrics reports. */
export const MONITORED_QUEUES = [...QUEUES, SCHEDULE_QUEUE] as const;
