/**
 * More style, Less style and HD on Discord, as a user sees them: the new jobs say what they came
 * from, move the picture the way their names say (luminance correlation with the photo at 64 px),
 * HD keeps the layout at twice the size, refusals are private sentences, and the buttons of a
 * picture made before a restart still work. The engine thread is the fake one, whose picture
 * mixes in the style by the job's strength: what is under test is that the buttons ask for the
 * strength and picture their names say (the engine's own strength and init-picture effects are
 * test/engine's; Discord's real-engine run is main.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startDiscordEmulator, USERS, type DiscordEmulator } from '../emulator/discord/emulator.js';
import type { EmuMessage } from '../emulator/discord/payloads.js';
import { composition } from '../engine/support/quality-measures.js';
import { decoded } from '../engine/support/picture-metrics.js';
import { fakeEngineWorker } from '../support/fake-engine-worker.js';
import { IMAGES_DIR, image } from '../support/fixtures.js';
import { emulatorEnv, ephemeralAnswer, ephemeralFollowUp } from './harness.js';
import { iteratePresses } from '../discord/iterate-presses.js';

let emu: DiscordEmulator;
let app: App | undefined;
let keptDir: string;

async function startBot(): Promise<App> {
  const env = loadEnv({ ...emulatorEnv(emu), HTTP_ENABLED: 'false', MAX_IMAGE_SIZE: '128' });
  const started = await startApp(env, createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), {
    keptInputsDir: keptDir,
    discord: { editIntervalMs: 300 },
    // 64 px steps of 25 ms: a 40-step job runs a second, long enough to press a button meanwhile.
    queue: { progressIntervalMs: 400, workerEntry: fakeEngineWorker({ stepMs: 100 }) },
  });
  await started.discord!.ready;
  await started.queue.ready();
  return started;
}

beforeAll(async () => {
  keptDir = mkdtempSync(path.join(tmpdir(), 'stylize-kept-'));
  emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  app = await startBot();
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await emu?.close();
  rmSync(keptDir, { recursive: true, force: true });
});

const { done, press } = iteratePresses(() => emu);

const picture = (m: EmuMessage) => m.attachments[0]!.bytes;
const requestOf = (m: EmuMessage) => (m.embeds[0] as { footer: { text: string } }).footer.text.replace('request ', '');
const photo = () => decoded(image('chicago.jpg'));
const layoutWithPhoto = async (m: EmuMessage) => composition(await decoded(picture(m)), await photo());

async function stylize(options: Record<string, unknown>): Promise<EmuMessage> {
  const i = emu.runCommand({
    name: 'stylize',
    options: { content: await emu.uploadImage('chicago.jpg'), style: await emu.uploadImage('udnie.jpg'), size: 64, iterations: 40, seed: 7, ...options },
  });
  return done(i);
}

let parent: EmuMessage;

describe('iterate buttons', () => {
  it('iterate: Less style paints closer to the photo and More style further, each saying what it came from', async () => {
    parent = await stylize({ strength: 0.5 });
    expect(emu.buttons(parent).map((b) => b.label)).toEqual(['Reroll', 'Parameters', 'Less style', 'More style', 'HD']);
    const parentLayout = await layoutWithPhoto(parent);

    const lessPress = press(parent, 'Less style');
    // A button's job obeys the queue's limits: a second one of the same user while hers runs is refused, privately.
    await emu.waitFor('the Less style job to be taken', () => {
      const m = emu.original(lessPress);
      return m && m.id !== parent.id && /Start|Queued|%/.test(m.content) ? m : undefined;
    });
    const tooMany = await ephemeralFollowUp(emu, press(parent, 'More style'));
    expect(tooMany.content).toMatch(/already|one job|at a time|limit/i);
    const less = await done(lessPress);
    expect(less.content).toMatch(new RegExp(`^Less style of request ${requestOf(parent)} \\(strength 0\\.4\\)\\.\\nDone in`));
    const more = await done(press(parent, 'More style'));
    expect(more.content).toMatch(new RegExp(`^More style of request ${requestOf(parent)} \\(strength 0\\.6\\)\\.\\nDone in`));
    const [lessLayout, moreLayout] = [await layoutWithPhoto(less), await layoutWithPhoto(more)];
    console.log(JSON.stringify({ iterateLayouts: { less: lessLayout, parent: parentLayout, more: moreLayout } }));
    expect(lessLayout).toBeGreaterThan(parentLayout);
    expect(moreLayout).toBeLessThan(parentLayout);
    // Same seed, only strength moved: Parameters says so.
    const params = await ephemeralAnswer(emu, press(less, 'Parameters'));
    expect(params.content).toContain('strength:0.4');
    expect(params.content).toContain('seed:7');
  }, 400_000);

  it('iterate: HD paints the picture at twice the size with its layout kept, and says so when it cannot grow', async () => {
    const hd = await done(press(parent, 'HD'));
    expect(hd.content).toMatch(new RegExp(`^HD of request ${requestOf(parent)} \\(128 px, painted from that picture\\)\\.\\nDone in`));
    const [p, h] = await Promise.all([sharp(picture(parent)).metadata(), sharp(picture(hd)).metadata()]);
    // The long side doubles; the short one follows the photo's proportions (within the rounding of a pixel).
    expect(h.width).toBe(p.width! * 2);
    expect(Math.abs(h.height! - p.height! * 2)).toBeLessThanOrEqual(1);
    const kept = await composition(await decoded(picture(hd)), await decoded(picture(parent)));
    console.log(JSON.stringify({ iterateHdLayout: kept }));
    expect(kept).toBeGreaterThanOrEqual(0.9);
    // Already at MAX_IMAGE_SIZE: a sentence only the presser sees, nothing queued.
    const again = await ephemeralAnswer(emu, press(hd, 'HD', USERS.bob));
    expect(again.content).toMatch(/already 128 px, the largest this bot makes/);
    expect((await app!.queue.snapshot()).length).toBe(0);
  }, 300_000);

  it('iterate: at the strength bound and for inputs no longer kept the button answers privately and queues nothing', async () => {
    const strongest = await stylize({ strength: 1, iterations: 10 });
    const most = await ephemeralAnswer(emu, press(strongest, 'More style', USERS.bob));
    expect(most.content).toMatch(/already has the most style the bot gives \(strength 1\)/);
    for (const action of ['more', 'less', 'hd']) {
      const gone = await ephemeralAnswer(emu, emu.clickButton(strongest, `stylize:${action}:forgotten-key`, USERS.bob));
      expect(gone.content).toMatch(/no longer kept \(they are kept for 60 minutes\)/);
    }
    expect((await app!.queue.snapshot()).length).toBe(0);
    // /help says the step and the bounds.
    const help = String((await ephemeralAnswer(emu, emu.runCommand({ name: 'help' }))).embeds[0]?.description);
    expect(help).toContain('strength one step of 0.1 up or down (from 0 to 1');
    expect(help).toMatch(/HD.*twice the size \(up to 128 px\)/);
  }, 200_000);

  it('iterate: after a restart the buttons of a picture made before it still work', async () => {
    await app!.stop();
    app = await startBot();
    const less = await done(press(parent, 'Less style', USERS.bob));
    expect(less.content).toMatch(new RegExp(`^Less style of request ${requestOf(parent)} \\(strength 0\\.4\\)`));
    const hd = await done(press(parent, 'HD', USERS.bob));
    const meta = await sharp(picture(hd)).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(128);
  }, 400_000);
});
