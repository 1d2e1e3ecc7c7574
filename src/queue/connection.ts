import { Redis } from 'ioredis';

/**
 * A Redis connection for BullMQ. Workers and QueueEvents block on Redis, so BullMQ requires
 * maxRetriesPerRequest: null; commands wait for a reconnect instead of failing.
 */
export function createRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  // Reconnection is ioredis' job; an 'error' listener keeps a dropped connection from crashing us.
  redis.on('error', () => {});
  return redis;
}
