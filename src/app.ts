/**
 * The bot process: one queue (and its engine workers), the health/metrics server, and the chat
 * platforms that have credentials. `stop()` shuts down in the order that loses nothing: stop taking
 * jobs, let the queue finish or tell everyone (queue.shutdown), let the last messages go out, then
 * disconnect.
 */
import type { Env } from './config.js';
import type { Logger } from './log.js';
import { startDiscordBot, type DiscordBot } from './bot/discord/bot.js';
import type { DiscordTuning } from './bot/discord/context.js';
import { createMetrics, instrumentQueue, startHttpServer, type HttpServer } from './bot/http.js';
import { createJobQueue, queueConfigFromEnv, type JobQueue, type QueueOptions } from './queue/index.js';

export interface AppOverrides {
  /** Discord timings (tests shorten them). */
  discord?: Partial<DiscordTuning>;
  /** Queue settings on top of the environment's. */
  queue?: Partial<QueueOptions>;
}

export interface App {
  queue: JobQueue;
  discord?: DiscordBot;
  /** The health/metrics port, when HTTP_ENABLED. */
  httpPort?: number;
  stop(): Promise<void>;
}

/** Workers lost in a row (no job finishing between) at which /healthz turns 503. */
export const WORKER_DEATHS_UNHEALTHY = 3;

export async function startApp(env: Env, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  const base = queueConfigFromEnv(env);
  const rawQueue = createJobQueue({ ...base, logger, ...overrides.queue });
  const metrics = createMetrics(rawQueue);
  const queue = instrumentQueue(rawQueue, metrics);

  let discord: DiscordBot | undefined;
  let slackStop: (() => Promise<void>) | undefined;
  let http: HttpServer | undefined;
  try {
    if (env.HTTP_ENABLED) {
      http = await startHttpServer({
        port: env.HTTP_PORT,
        metrics,
        health: () => {
          const snapshot = queue.snapshot();
          // A worker that keeps dying serves nobody: let the orchestrator restart the process.
          const failing = queue.workerDeathsInARow >= WORKER_DEATHS_UNHEALTHY;
          return {
            // Not accepting = shutting down: queue.shutdown() turns it off at once.
            ok: queue.accepting && !failing,
            status: !queue.accepting ? 'stopping' : failing ? 'engine worker keeps dying' : 'serving',
            workerDeathsInARow: queue.workerDeathsInARow,
            discord: discord?.status ?? 'off',
            slack: slackStop ? 'on' : 'off',
            queue: { length: snapshot.length, running: snapshot.running },
          };
        },
      });
      logger.info({ port: http.port }, 'health and metrics on /healthz and /metrics');
    }
    if (env.DISCORD_TOKEN) {
      discord = await startDiscordBot({ env, queue, logger, tuning: overrides.discord });
    }
    if (env.SLACK_BOT_TOKEN) {
      const { startSlackApp } = await import('./bot/slack/app.js');
      const slack = await startSlackApp({ env, queue, logger });
      slackStop = () => slack.stop();
    }
  } catch (e) {
    await Promise.allSettled([discord?.stop(1000), http?.close(), rawQueue.shutdown({ graceMs: 0 })]);
    throw e;
  }

  let stopped: Promise<void> | undefined;
  return {
    queue,
    discord,
    httpPort: http?.port,
    stop() {
      stopped ??= (async () => {
        logger.info('shutting down');
        // Jobs settle here (finished, stopped or dropped); each job message then gets its last edit.
        await rawQueue.shutdown();
        await discord?.stop(30_000);
        await slackStop?.();
        await http?.close();
        logger.info('stopped');
      })();
      return stopped;
    },
  };
}

/** SIGTERM/SIGINT → graceful stop, then exit 0 (a second signal exits at once). */
export function exitOnSignals(app: App, logger: Logger): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    received = true;
    logger.info({ signal }, 'signal received');
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
