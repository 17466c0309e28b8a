/**
 * Starts the real bot (startApp: queue, engine worker, HTTP server, discord.js client) against the
 * loopback Discord emulator. The engine worker is the fake one (jobs take time by their size and
 * iterations, send progress and previews, deliver a picture) unless a test asks for the real one.
 */
import { startApp, type App, type AppOverrides } from '../../src/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startDiscordEmulator, type DiscordEmulator, type EmuInteraction } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';
import { fakeEngineWorker, type FakeEngineSettings } from '../support/fake-engine-worker.js';
import { IMAGES_DIR, WEIGHTS } from '../support/fixtures.js';

export interface Harness {
  emu: DiscordEmulator;
  app: App;
  env: ReturnType<typeof loadEnv>;
  /** Every log line the bot wrote (info and above), parsed. */
  logs: Record<string, unknown>[];
  /** Jobs waiting or running and jobs running, kept current from the queue's events (for sync waits). */
  live: { length: number; running: number };
  close(): Promise<void>;
}

/** Log lines of the bot that carry this request id. */
export function logsOf(h: Harness, requestId: string): Record<string, unknown>[] {
  return h.logs.filter((l) => l.requestId === requestId);
}

/** The environment that points the bot at the emulator. */
export function emulatorEnv(emu: DiscordEmulator): Record<string, string> {
  return {
    DISCORD_TOKEN: emu.token,
    DISCORD_APPLICATION_ID: emu.applicationId,
    DISCORD_API_URL: emu.apiUrl,
    DISCORD_CDN_HOSTS: emu.cdnHost,
    VGG19_WEIGHTS: WEIGHTS,
    MAX_IMAGE_SIZE: '128',
  };
}

/** The real engine (real weights and kernels), or the fake worker with these settings. */
export type HarnessEngine = 'real' | FakeEngineSettings;

export async function startHarness(envOverrides: Record<string, string> = {}, overrides: AppOverrides = {}, engine: HarnessEngine = {}): Promise<Harness> {
  // Heartbeats every second, so a test run sees the gateway's heartbeat/ACK cycle many times.
  const emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR, heartbeatIntervalMs: 1000 });
  const env = loadEnv({ ...emulatorEnv(emu), HTTP_PORT: '0', LOG_LEVEL: 'info', ...envOverrides });
  const logs: Record<string, unknown>[] = [];
  const echo = process.env.TEST_LOG_LEVEL !== undefined;
  const logger = createLogger(
    { level: env.LOG_LEVEL, secrets: [emu.token] },
    {
      write(line: string) {
        logs.push(JSON.parse(line) as Record<string, unknown>);
        if (echo) process.stderr.write(line);
      },
    },
  );
  // The engine sends progress every 2 s by default; tiny test jobs need it more often.
  const workerEntry = engine === 'real' ? undefined : fakeEngineWorker(engine);
  // The instant lane only where a test names the fast models: other tests' message histories stay as they were.
  const fastLane = envOverrides.FAST_STYLE_MODELS === undefined ? false : undefined;
  const app = await startApp(env, logger, { fastLane, ...overrides, queue: { progressIntervalMs: 400, workerEntry, ...overrides.queue } });
  const live = { length: 0, running: 0 };
  const started = new Set<string>();
  app.queue.subscribe((event) => {
    if (event.type === 'submitted') live.length += 1;
    else if (event.type === 'started') started.add(event.jobId);
    else if (event.type === 'settled') {
      live.length -= 1;
      started.delete(event.jobId);
    }
    live.running = started.size;
  });
  await app.discord!.ready;
  await app.queue.ready();
  return {
    emu,
    app,
    env,
    logs,
    live,
    async close() {
      await app.stop();
      await emu.close();
    },
  };
}

/** The reply once the bot has written something into it (it starts as a deferred "thinking…"). */
export function reply(emu: DiscordEmulator, i: EmuInteraction): Promise<EmuMessage> {
  return emu.waitFor('a reply', () => {
    const m = emu.original(i);
    return m && !m.deferred ? m : undefined;
  });
}

/** Waits for the ephemeral follow-up that explains a refusal. */
export function ephemeralFollowUp(emu: DiscordEmulator, i: EmuInteraction, timeoutMs = 15_000): Promise<EmuMessage> {
  return emu.waitFor('an ephemeral follow-up', () => emu.followUps(i).find((m) => (m.flags & 64) !== 0), timeoutMs);
}

/** The ephemeral answer to a button click or quick command (a type-4 callback). */
export function ephemeralAnswer(emu: DiscordEmulator, i: EmuInteraction, timeoutMs = 15_000): Promise<EmuMessage> {
  return emu.waitFor(
    'an ephemeral answer',
    () => {
      const m = emu.original(i);
      return m && (m.flags & 64) !== 0 && !m.deferred ? m : undefined;
    },
    timeoutMs,
  );
}
