/**
 * DISCORD_SHARDS: the manager starts one chat process per shard with discord.js's own environment
 * (SHARDS, SHARD_COUNT, read by every Client), as chat processes only, each with its own instance
 * id on the shared queue. A stand-in shard script records what it was given.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runShards } from '../../src/bot/discord/sharding.js';
import { ConfigError, loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { chatInstanceId } from '../../src/queue/redis/config.js';

const dir = mkdtempSync(path.join(tmpdir(), 'stylize-shards-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const logger = createLogger({ level: 'silent' });
const base = {
  DISCORD_TOKEN: 'x'.repeat(24) + '.abcdef.' + 'y'.repeat(27),
  DISCORD_APPLICATION_ID: '123456789012345678',
};

describe('Discord sharding', () => {
  it('needs REDIS_URL, because shards share one queue', async () => {
    const env = loadEnv({ ...base, DISCORD_SHARDS: '2' });
    await expect(runShards(env, logger, 'unused.js')).rejects.toThrow(ConfigError);
    await expect(runShards(env, logger, 'unused.js')).rejects.toThrow(
      /DISCORD_SHARDS is set but REDIS_URL is unset/,
    );
  });

  it('starts one chat process per shard, with its own shard number and no local worker', async () => {
    const script = path.join(dir, 'shard.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';
       const { SHARDS, SHARD_COUNT, LOCAL_WORKER, HTTP_ENABLED, REDIS_URL } = process.env;
       writeFileSync(${JSON.stringify(dir)} + '/shard-' + SHARDS + '.json', JSON.stringify({ SHARDS, SHARD_COUNT, LOCAL_WORKER, HTTP_ENABLED, REDIS_URL }));
       setInterval(() => {}, 1000);`,
    );
    const env = loadEnv({
      ...base,
      DISCORD_SHARDS: '2',
      REDIS_URL: 'redis://127.0.0.1:1',
      CHAT_INSTANCE_ID: 'chat',
    });
    const saved = {
      LOCAL_WORKER: process.env.LOCAL_WORKER,
      HTTP_ENABLED: process.env.HTTP_ENABLED,
      REDIS_URL: process.env.REDIS_URL,
    };
    const shards = await runShards(env, logger, script, -1);
    try {
      await expect
        .poll(() => readdirSync(dir).filter((f) => f.startsWith('shard-')).length, { timeout: 20_000 })
        .toBe(2);
    } finally {
      await shards.stop();
      Object.assign(process.env, saved);
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    }
    const seen = readdirSync(dir)
      .filter((f) => f.startsWith('shard-'))
      .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Record<string, string>);
    expect(seen.map((s) => s.SHARDS).sort()).toEqual(['0', '1']);
    for (const s of seen)
      expect(s).toMatchObject({
        SHARD_COUNT: '2',
        LOCAL_WORKER: 'false',
        HTTP_ENABLED: 'false',
        REDIS_URL: 'redis://127.0.0.1:1',
      });
    const ids = seen.map((s) => chatInstanceId(env, s.SHARDS));
    expect(new Set(ids).size).toBe(2);
  });
});
