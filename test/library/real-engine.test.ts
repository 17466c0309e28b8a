/**
 * A saved style through the real engine (real weights and kernels): /stylize style_name paints the
 * same picture as attaching that painting, so a saved style is the painting itself, not a stand-in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { loadEnv } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { emulatorEnv } from '../discord/harness.js';
import { startDiscordEmulator, type DiscordEmulator, type EmuInteraction } from '../emulator/discord/emulator.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { IMAGES_DIR } from '../support/fixtures.js';

let emu: DiscordEmulator;
let app: App;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'style-library-real-'));
  emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
  const env = loadEnv({ ...emulatorEnv(emu), HTTP_ENABLED: 'false', STYLE_LIBRARY_DIR: dir, FAST_STYLE_MODELS: FAST_MODELS_DIR });
  app = await startApp(env, createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), { discord: { editIntervalMs: 300 }, fastLane: false });
  await app.discord!.ready;
  await app.queue.ready();
}, 120_000);

afterAll(async () => {
  await app?.stop();
  await emu?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The job's picture once it is done. */
function picture(i: EmuInteraction): Promise<Uint8Array> {
  return emu
    .waitFor('the picture', () => {
      const m = emu.original(i);
      return m && /Done in/.test(m.content) ? m.attachments.find((a) => a.filename.endsWith('.png')) : undefined;
    }, 180_000)
    .then((a) => a.bytes);
}

describe('style library with the real engine', () => {
  it('library: /stylize style_name paints the same picture as attaching the saved painting (real engine)', async () => {
    const save = emu.runCommand({ name: 'style', subcommand: 'save', options: { name: 'Scream', image: await emu.uploadImage('the_scream.jpg') } });
    await emu.waitFor('saved', () => (/Saved/i.test(emu.original(save)?.content ?? '') ? true : undefined), 60_000);
    const options = { content: await emu.uploadImage('golden_gate.jpg'), size: 64, iterations: 30, seed: 3 };
    const byName = await picture(emu.runCommand({ name: 'stylize', options: { ...options, style_name: 'scream' } }));
    const attached = await picture(emu.runCommand({ name: 'stylize', options: { ...options, style: await emu.uploadImage('the_scream.jpg') } }));
    const other = await picture(emu.runCommand({ name: 'stylize', options: { ...options, style: await emu.uploadImage('starry_night.jpg') } }));
    const meanDiff = async (a: Uint8Array, b: Uint8Array) => {
      const [x, y] = await Promise.all([a, b].map((p) => sharp(p).removeAlpha().raw().toBuffer()));
      let sum = 0;
      for (let k = 0; k < x!.length; k++) sum += Math.abs(x![k]! - y![k]!);
      return sum / x!.length;
    };
    const same = await meanDiff(byName, attached);
    // Another painting paints a clearly different picture, so "the same" means something.
    expect(await meanDiff(byName, other)).toBeGreaterThan(10);
    expect(same).toBeLessThan(1);
  }, 400_000);
});
