/**
 * The bot process: one queue behind the port, the job flow and commands every platform shares,
 * the health/metrics server, and the chat platforms that have credentials. At start-up the jobs
 * the queue kept from before a restart are followed again. `stop()` shuts down in the order that
 * loses nothing: stop taking jobs, let the queue finish or tell everyone (queue.shutdown), let the
 * last messages go out, then disconnect.
 */
import type { CommandContext } from './commands/context.js';
import { JobFlow, resumeJobs } from './commands/flow.js';
import { JobLedger } from './commands/job-ledger.js';
import { RerollStore } from './commands/reroll-store.js';
import { openStyleLibrary } from './commands/style-library/open-library.js';
import type { Env } from './config.js';
import type { Logger } from './log.js';
import { startDiscordBot, type DiscordBot } from './bot/discord/bot.js';
import type { DiscordTuning } from './bot/discord/context.js';
import { startHttpServer, type HttpServer } from './bot/http.js';
import { healthReporter } from './bot/ops/health.js';
import { createMetrics } from './bot/ops/metrics.js';
import { FastLane } from './queue/fast-lane.js';
import { openQueue, queueConfigFromEnv, type JobQueuePort, type QueueOptions } from './queue/index.js';
import { RedisExpiringStore } from './queue/redis/expiring-store.js';
import { isRedisJobQueue, registerRedisQueueMetrics } from './queue/redis/metrics.js';
import { DirectoryStore, type ExpiringStore } from './util/expiring-store.js';

export interface AppOverrides {
  /** Discord timings (tests shorten them). */
  discord?: Partial<DiscordTuning>;
  /** Queue settings on top of the environment's. */
  queue?: Partial<QueueOptions>;
  /** Fractions of progress at which previews are shown. */
  previewAt?: number[];
  /** Opens the queue instead of `openQueue` (tests: a queue that has kept jobs from before a restart). */
  openQueue?: typeof openQueue;
  /**
   * With the in-process queue: the file that notes the jobs being followed, so that the next start
   * can tell the users of jobs a killed process lost (main.ts gives one; tests mostly do not).
   */
  jobLedgerFile?: string;
  /** false: no instant lane (jobs only paint). */
  fastLane?: false;
  /**
   * With the in-process queue: the directory where jobs' inputs and pictures are kept for their
   * buttons (REROLL_KEEP_MIN), so the buttons work after a restart (main.ts gives one). With Redis
   * they are kept there.
   */
  keptInputsDir?: string;
}

export interface App {
  queue: JobQueuePort;
  /** The instant lane (fast pictures at once), unless turned off. */
  lane?: FastLane;
  discord?: DiscordBot;
  /** The health/metrics port, when HTTP_ENABLED. */
  httpPort?: number;
  /** The port receiving Slack's requests, in Slack's HTTP mode. */
  slackPort?: number;
  stop(): Promise<void>;
  /** The process goes away now: every followed job's message says so (at most `timeoutMs`). */
  stopNow(timeoutMs: number): Promise<void>;
}

export async function startApp(env: Env, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  const queue = await (overrides.openQueue ?? openQueue)(env, { logger, ...overrides.queue });
  const metrics = createMetrics(queue);
  const closeRedisMetrics = isRedisJobQueue(queue) ? registerRedisQueueMetrics(metrics.registry, queue) : undefined;
  // A durable queue keeps its jobs across a restart; the in-process one loses them, which its ledger remembers.
  const durable = isRedisJobQueue(queue);
  const rerolls = new RerollStore({
    keepMinutes: env.REROLL_KEEP_MIN,
    durable: await keptInputsStore(env, durable ? queue.instanceId : undefined, overrides.keptInputsDir, logger),
    onError: (err) => logger.warn({ err }, 'could not keep or read the inputs of a job for its buttons'),
  });
  const ledger = !durable && overrides.jobLedgerFile !== undefined ? new JobLedger(overrides.jobLedgerFile) : undefined;
  const lane = overrides.fastLane === false ? undefined : instantLane(env, logger, overrides.queue);
  const flow = new JobFlow({ queue, rerolls, logger, previewAt: overrides.previewAt, ledger, lane });
  const styles = await openStyleLibrary(env, logger);
  const commands: CommandContext = { queue, flow, logger, sizeCap: env.MAX_IMAGE_SIZE, rerollKeepMin: env.REROLL_KEEP_MIN, styles };

  let discord: DiscordBot | undefined;
  let slackStop: (() => Promise<void>) | undefined;
  let slackPort: number | undefined;
  let http: HttpServer | undefined;
  try {
    if (env.HTTP_ENABLED) {
      const health = healthReporter({
        queue,
        platforms: { discord: () => discord?.status ?? 'off', slack: () => (slackStop ? 'on' : 'off') },
      });
      http = await startHttpServer({ port: env.HTTP_PORT, metrics, health });
      logger.info({ port: http.port }, 'health and metrics on /healthz and /metrics');
    }
    if (env.DISCORD_TOKEN) {
      discord = await startDiscordBot({ env, commands, tuning: overrides.discord });
    }
    if (env.SLACK_BOT_TOKEN) {
      const { startSlackApp } = await import('./bot/slack/app.js');
      const slack = await startSlackApp({ env, commands, logger });
      slackStop = () => slack.stop();
      slackPort = slack.port;
    }
    // Every platform has registered its view: jobs accepted before a restart get their answers.
    const resumed = await resumeJobs(queue, flow);
    if (resumed > 0) logger.info({ jobs: resumed }, 'following jobs from before the restart');
    const lost = await flow.tellLost();
    if (lost > 0) logger.warn({ jobs: lost }, 'the process before was killed while following jobs; their users were told they were lost');
  } catch (e) {
    await Promise.allSettled([discord?.stop(1000), http?.close(), queue.shutdown({ graceMs: 0 }), lane?.close(0)]);
    metrics.close();
    closeRedisMetrics?.();
    await rerolls.close();
    await styles.close();
    throw e;
  }

  let stopped: Promise<void> | undefined;
  return {
    queue,
    lane,
    discord,
    httpPort: http?.port,
    slackPort,
    stop() {
      stopped ??= (async () => {
        logger.info('shutting down');
        // Jobs settle here (finished, stopped or dropped); each job message then gets its last edit.
        await queue.shutdown();
        await lane?.close();
        await flow.drain(30_000);
        await discord?.stop(30_000);
        await slackStop?.();
        await http?.close();
        metrics.close();
        closeRedisMetrics?.();
        await rerolls.close();
        await styles.close();
        logger.info('stopped');
      })();
      return stopped;
    },
    async stopNow(timeoutMs) {
      const told = await flow.stopNow(durable, timeoutMs);
      if (told > 0) logger.warn({ jobs: told, kept: durable }, 'stopped at once; the users of the jobs followed here were told');
    },
  };
}

/**
 * The instant lane runs in this chat process, beside the queue whichever queue it is: the pictures
 * are already here (no round trip through Redis), the network is small (3 MB, ~0.1 s at 512 px)
 * and paint workers stay busy with paintings.
 */
function instantLane(env: Env, logger: Logger, queue: Partial<QueueOptions> | undefined): FastLane {
  const config = queueConfigFromEnv(env);
  const engine = { ...config.engine, ...queue?.engine };
  return new FastLane({
    engine: { fastModels: engine.fastModels, maxSize: engine.maxSize, limits: engine.limits, threads: 1 },
    // As many as the line can hold: each painting in it asked for one.
    maxWaiting: queue?.maxLength ?? config.maxLength,
    logger,
  });
}

/** Where jobs' inputs outlive this process: Redis with the Redis queue, else a directory when one is given. */
async function keptInputsStore(env: Env, redisInstance: string | undefined, dir: string | undefined, logger: Logger): Promise<ExpiringStore | undefined> {
  if (env.REROLL_KEEP_MIN === 0) return undefined;
  if (redisInstance !== undefined && env.REDIS_URL) return RedisExpiringStore.open(env.REDIS_URL, env.REDIS_PREFIX, `${redisInstance}:kept`);
  if (dir === undefined) return undefined;
  try {
    return new DirectoryStore(dir);
  } catch (err) {
    // A read-only working directory costs the buttons their restart, not the bot its start.
    logger.warn({ err, dir }, 'cannot keep jobs\' inputs on disk; their buttons work until a restart');
    return undefined;
  }
}

/**
 * SIGTERM/SIGINT → graceful stop, then exit 0; a second signal tells the followed jobs' users and
 * exits (a third at once). Installed before start-up: a signal while the app starts (resuming jobs,
 * telling users of lost ones) stops it as soon as it has started, so nothing it took on is cut off.
 */
export function exitOnSignals(logger: Logger): { started(app: App): void } {
  let app: App | undefined;
  let received = false;
  const stop = (running: App) =>
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, 'second signal: exiting now');
      // A few seconds for the last word in each job's message; a third signal does not wait.
      for (const s of ['SIGTERM', 'SIGINT'] as const) {
        process.removeListener(s, onSignal);
        process.once(s, () => process.exit(1));
      }
      if (app) void app.stopNow(3000).finally(() => process.exit(1));
      else process.exit(1);
      return;
    }
    received = true;
    logger.info({ signal }, app ? 'signal received' : 'signal received while starting; stopping once started');
    if (app) void stop(app);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    started(running) {
      app = running;
      if (received) void stop(running);
    },
  };
}
