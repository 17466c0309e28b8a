/** The style library as the environment configures it: Redis when REDIS_URL is set, else an LMDB file. */
import path from 'node:path';
import { ConfigError, type Env } from '../../config.js';
import { fastModelsDirIn, openStylePredictor } from '../../engine/index.js';
import type { Logger } from '../../log.js';
import { connectOrExplain, redisClient } from '../../queue/redis/connection.js';
import { StyleLibrary } from './library.js';
import { LmdbStyleStore } from './lmdb-store.js';
import { RedisStyleStore } from './redis-store.js';
import type { StyleStore } from './store.js';

export async function openStyleLibrary(env: Env, logger: Logger): Promise<StyleLibrary> {
  let store: StyleStore;
  if (env.REDIS_URL) {
    const redis = redisClient(env.REDIS_URL, { name: 'style-library' });
    await connectOrExplain(redis, env.REDIS_URL);
    store = new RedisStyleStore(redis, env.REDIS_PREFIX);
    logger.info('style library in Redis');
  } else {
    const dir = path.resolve(env.STYLE_LIBRARY_DIR);
    try {
      store = new LmdbStyleStore(dir);
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
      throw new ConfigError(
        `The style library cannot be opened in STYLE_LIBRARY_DIR=${env.STYLE_LIBRARY_DIR} (${reason}); fix: point it at a folder this process may create and write, or set REDIS_URL to keep the library in Redis.`,
      );
    }
    logger.info({ dir }, 'style library in an LMDB file');
  }
  const modelsDir = env.FAST_STYLE_MODELS ?? fastModelsDirIn(env.WEIGHTS_CACHE_DIR);
  return new StyleLibrary({
    store,
    max: env.STYLE_LIBRARY_MAX,
    limits: { maxBytes: env.MAX_INPUT_BYTES, maxPixels: env.MAX_INPUT_PIXELS },
    openPredictor: () => openStylePredictor(modelsDir),
    logger,
  });
}
