/**
 * Discord at scale (DISCORD_SHARDS=auto|N): discord.js's ShardingManager runs one chat process per
 * group of shards (its Client reads SHARDS and SHARD_COUNT from the environment the manager sets),
 * and every shard submits to the same Redis queue, so any worker serves any shard. Each shard has
 * its own instance id (redis/config.ts adds the shard number) and answers only its own jobs.
 */
import { ShardingManager } from 'discord.js';
import { ConfigError, requireDiscord, type Env } from '../../config.js';
import type { Logger } from '../../log.js';

export interface ShardRunner {
  stop(): Promise<void>;
}

/** `script` is the process entry each shard runs (src/main.ts, or dist/main.js when built). */
export async function runShards(
  env: Env,
  logger: Logger,
  script: string,
  /** How long each shard may take to reach Discord (-1: do not wait; tests). */
  readyTimeoutMs = 60_000,
): Promise<ShardRunner> {
  const { token } = requireDiscord(env);
  if (env.REDIS_URL === undefined) {
    throw new ConfigError(
      'Configuration error: DISCORD_SHARDS is set but REDIS_URL is unset; fix: shards share one Redis queue, so set REDIS_URL (or DISCORD_SHARDS=off).',
    );
  }
  const manager = new ShardingManager(script, {
    token,
    totalShards: env.DISCORD_SHARDS === 'off' || env.DISCORD_SHARDS === 'auto' ? 'auto' : env.DISCORD_SHARDS,
    mode: 'process',
    // tsx's loader flags when run from source; none when built.
    execArgv: process.execArgv,
    respawn: true,
  });
  // Shards are chat processes only (pictures are made by workers; the manager may host one), and
  // one port cannot serve several of them. They read the queue the manager checked.
  Object.assign(process.env, { LOCAL_WORKER: 'false', HTTP_ENABLED: 'false', REDIS_URL: env.REDIS_URL });
  manager.on('shardCreate', (shard) => {
    logger.info({ shard: shard.id }, 'discord shard started');
    shard.on('death', () => logger.warn({ shard: shard.id }, 'discord shard exited; it is started again'));
  });
  await manager.spawn({ amount: manager.totalShards, timeout: readyTimeoutMs });
  logger.info({ shards: manager.shards.size }, 'discord shards running');
  return {
    async stop() {
      manager.respawn = false;
      // Each shard gets SIGTERM and shuts down like a single bot: its jobs stay in Redis.
      for (const shard of manager.shards.values()) shard.kill();
    },
  };
}
