import { describe, expect, it } from 'vitest';
import { ConfigError, loadEnv } from '../../src/config.js';
import {
  chatInstanceId,
  redisQueueOptionsFromEnv,
  redisWorkerOptionsFromEnv,
} from '../../src/queue/redis/config.js';

describe('Redis settings', () => {
  it('refuse a REDIS_URL that is not a redis:// URL, in one line naming it', () => {
    expect(() => loadEnv({ REDIS_URL: 'http://localhost:6379' })).toThrow(ConfigError);
    expect(() => loadEnv({ REDIS_URL: 'http://localhost:6379' })).toThrow(
      /^Configuration error: REDIS_URL="http:\/\/localhost:6379" is not valid .*redis:\/\//,
    );
    expect(loadEnv({ REDIS_URL: '' }).REDIS_URL).toBeUndefined();
    expect(loadEnv({ REDIS_URL: 'rediss://user:pw@cache.example:6380/2' }).REDIS_URL).toBe(
      'rediss://user:pw@cache.example:6380/2',
    );
  });

  it('take limits, concurrency and the stall time from the environment', () => {
    const env = loadEnv({
      REDIS_URL: 'redis://r:6379',
      QUEUE_MAX_LENGTH: '7',
      QUEUE_MAX_PER_USER: '2',
      QUEUE_MAX_PER_GUILD: '4',
      WORKER_CONCURRENCY: '3',
      WORKER_STALL_S: '12',
      CHAT_INSTANCE_ID: 'chat-eu',
    });
    const withUrl = { ...env, REDIS_URL: env.REDIS_URL! };
    expect(redisQueueOptionsFromEnv(withUrl)).toMatchObject({
      instanceId: 'chat-eu',
      limits: { maxLength: 7, maxPerUser: 2, maxPerServer: 4 },
    });
    expect(redisWorkerOptionsFromEnv(withUrl)).toMatchObject({
      concurrency: 3,
      stallMs: 12_000,
      prefix: 'stylize',
    });
    expect(() => loadEnv({ WORKER_CONCURRENCY: '0' })).toThrow(/WORKER_CONCURRENCY/);
    expect(() => loadEnv({ DISCORD_SHARDS: 'many' })).toThrow(/DISCORD_SHARDS/);
    expect(loadEnv({ DISCORD_SHARDS: '4' }).DISCORD_SHARDS).toBe(4);
  });

  it('give every discord.js shard its own instance id, so shards never answer each other’s jobs', () => {
    const env = loadEnv({ CHAT_INSTANCE_ID: 'chat-1' });
    expect(chatInstanceId(env, undefined)).toBe('chat-1');
    expect(chatInstanceId(env, '[0,1]')).toBe('chat-1-shard-0,1');
    expect(chatInstanceId(env, '[2]')).not.toBe(chatInstanceId(env, '[3]'));
  });
});
