/** The kept inputs of jobs' buttons in Redis (util/expiring-store.ts): every chat process answers any button. */
import type { Redis } from 'ioredis';
import type { ExpiringStore } from '../../util/expiring-store.js';
import { connectOrExplain, redisClient } from './connection.js';

export class RedisExpiringStore implements ExpiringStore {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  static async open(url: string, prefix: string, name: string): Promise<RedisExpiringStore> {
    const redis = redisClient(url, { name });
    await connectOrExplain(redis, url);
    return new RedisExpiringStore(redis, `${prefix}:kept:`);
  }

  async set(key: string, value: string, expiresAt: number): Promise<void> {
    await this.redis.set(this.prefix + key, value, 'PXAT', expiresAt);
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.redis.get(this.prefix + key)) ?? undefined;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
