/**
 * Connections to Redis. At start-up one attempt, bounded in time, so that a wrong REDIS_URL is one
 * line and an exit instead of a process retrying in silence; afterwards ioredis reconnects for ever
 * and BullMQ retries its commands, so an outage only pauses the queue.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from '../../config.js';
import { redactUrl } from '../../util/redact.js';

/** The URL without its credentials, for messages and logs. */
export function shownUrl(url: string): string {
  return URL.canParse(url) ? redactUrl(url) : '(not a URL)';
}

/** Reconnect quickly at first, then every 2 s: an outage of a few seconds costs about that. */
const retryStrategy = (times: number): number => Math.min(100 * times, 2000);

/**
 * A connection for long-lived use. `blocking` ones (BullMQ workers and queue events) must wait for
 * ever for a reply; the others fail a command after a reconnect attempt, so that a health check
 * or a submit during an outage answers instead of hanging.
 */
export function redisClient(url: string, opts: { blocking?: boolean; name?: string } = {}): Redis {
  const options: RedisOptions = {
    retryStrategy,
    maxRetriesPerRequest: opts.blocking ? null : 1,
    enableReadyCheck: true,
    lazyConnect: true,
    ...(opts.name ? { connectionName: opts.name } : {}),
  };
  return new Redis(url, options);
}

/** Connects `client` or throws a ConfigError naming REDIS_URL. */
export async function connectOrExplain(client: Redis, url: string, timeoutMs = 5000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let lastError: Error | undefined;
  const onError = (e: Error) => (lastError = e);
  client.on('error', onError);
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(lastError ?? new Error(`no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } catch (e) {
    client.disconnect();
    const reason = (lastError ?? (e as Error)).message;
    throw new ConfigError(
      `Redis at REDIS_URL=${shownUrl(url)} cannot be reached (${reason}); fix: start Redis there, correct REDIS_URL, or unset it to run the queue in this process.`,
    );
  } finally {
    clearTimeout(timer);
    client.off('error', onError);
  }
}
