import { Cluster, Redis } from 'ioredis';

const CLUSTER_SCHEME = 'redis-cluster://';

/** `redis-cluster://host:port,host:port` names the seed nodes of a Redis Cluster. */
export function isClusterUrl(url: string): boolean {
  return url.startsWith(CLUSTER_SCHEME);
}

export function clusterNodes(url: string): { host: string; port: number }[] {
  return url
    .slice(CLUSTER_SCHEME.length)
    .replace(/\/.*$/, '')
    .split(',')
    .filter(Boolean)
    .map((hp) => {
      const [host, port] = hp.split(':');
      return { host: host!, port: Number(port ?? 6379) };
    });
}

/**
 * A Redis connection for BullMQ. Workers and QueueEvents block on Redis, so BullMQ requires
 * maxRetriesPerRequest: null; commands wait for a reconnect instead of failing. With a cluster URL,
 * an ioredis Cluster: every key of a queue shares one slot through the prefix's hash tag.
 */
export function createRedis(url: string): Redis {
  const options = { maxRetriesPerRequest: null, enableReadyCheck: true };
  const redis = isClusterUrl(url)
    ? new Cluster(clusterNodes(url), { redisOptions: options, enableReadyCheck: true })
    : new Redis(url, options);
  // Reconnection is ioredis' job; an 'error' listener keeps a dropped connection from crashing us.
  redis.on('error', () => {});
  // BullMQ takes either; the rest of MetaLayer uses the commands both have.
  return redis as Redis;
}
