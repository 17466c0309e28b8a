/**
 * After a restart the bot answers a Discord job it had accepted before, with nothing of the old
 * process but what the queue kept: the reply target (application id, interaction token and its
 * expiry, channel, user, private flag), through Discord's webhook endpoints.
 */
import { afterAll, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startDiscordEmulator, USERS, type DiscordEmulator } from '../emulator/discord/emulator.js';
import { IMAGES_DIR, image } from '../support/fixtures.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { keptQueue } from '../support/kept-queue.js';
import { emulatorEnv } from './harness.js';

let emu: DiscordEmulator | undefined;
let app: App | undefined;
afterAll(async () => {
  await app?.stop();
  await emu?.close();
});

it('finishes a job from before the restart in the interaction reply it was started from', async () => {
  emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  // The process before the restart: /stylize came in and was acknowledged ("thinking…").
  const i = emu.runCommand({ name: 'stylize', user: USERS.alice });
  const deferred = await fetch(`${emu.apiUrl}/v10/interactions/${i.id}/${i.token}/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 5 }),
  });
  expect(deferred.status).toBe(204);
  const spec = {
    owner: { userId: USERS.alice.id, platform: 'discord' as const, serverId: emu.guildId },
    requestId: 'kept-discord-1',
    request: { content: image('golden_gate.jpg'), styles: [{ bytes: image('udnie.jpg') }], options: { size: 64, iterations: 6, seed: 9 } },
    reply: {
      platform: 'discord' as const,
      data: {
        applicationId: emu.applicationId,
        interactionToken: i.token,
        tokenExpiresAt: i.createdAt + 15 * 60_000,
        channelId: emu.channelId,
        userId: USERS.alice.id,
        private: false,
        uploadLimit: 10 * 1024 * 1024 - 16 * 1024,
        adapter: {},
      },
    },
  };
  const env = loadEnv({ ...emulatorEnv(emu), HTTP_ENABLED: 'false' });
  app = await startApp(env, createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), {
    openQueue: keptQueue(spec),
    discord: { editIntervalMs: 500 },
    queue: { workerEntry: fakeEngineWorker() },
  });

  const done = await emu.waitFor(
    'the kept reply to be finished',
    () => {
      const m = emu!.original(i);
      return m && /Done in/.test(m.content) ? m : undefined;
    },
    90_000,
  );
  expect(done.attachments.map((a) => a.filename)).toEqual(['stylized.png']);
  expect(emu.buttons(done).map((b) => b.label)).toEqual(['Reroll', 'Parameters', 'Less style', 'More style', 'HD']);
  const embed = done.embeds[0] as { fields: { name: string; value: string }[]; footer: { text: string } };
  expect(embed.fields.find((f) => f.name === 'Seed')?.value).toBe('9');
  expect(embed.footer.text).toBe('request kept-discord-1');
  // Every edit went to the interaction's original response through the webhook route.
  expect(emu.requestsOf(i).filter((r) => r.route === 'edit-original').length).toBeGreaterThanOrEqual(1);
}, 120_000);
