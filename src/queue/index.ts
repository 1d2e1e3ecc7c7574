export { QUEUES, isQueueName, type QueueName } from './names';
export { jobIds, type RunRef } from './job-ids';
export { BronzePayload, SilverPayload, GoldPayload } from './payloads';
export { createRedis } from './connection';
export { defaultJobOptions } from './job-options';
export { buildFlow, type FlowPlan } from './flow';
