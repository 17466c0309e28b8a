/**
 * A bot killed with SIGKILL in the middle of saving styles, then started again: every style whose
 * save was confirmed to its user is there, whole (painting, thumbnail, style vector), and no style
 * is there in part. Once on the embedded database (one bot process, restarted on the same folder)
 * and once on Redis with two chat processes (each on its own emulator of the same server): the
 * second sees every confirmed style of the first, before and after the first's restart.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmdbStyleStore } from '../../src/commands/style-library/lmdb-store.js';
import { RedisStyleStore } from '../../src/commands/style-library/redis-store.js';
import type { StyleStore } from '../../src/commands/style-library/store.js';
import { emulatorEnv } from '../discord/harness.js';
import { startDiscordEmulator, type DiscordEmulator, type EmuInteraction } from '../emulator/discord/emulator.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { startRedis, type TestRedis } from '../redis/support.js';
import { spawnBot } from '../support/bot-process.js';
import { IMAGES_DIR } from '../support/fixtures.js';

const PAINTINGS = ['starry_night.jpg', 'the_scream.jpg', 'udnie.jpg', 'chicago.jpg', 'sketch.jpg', 'shipwreck.jpg', 'red_circles.jpg', 'seated-nude.jpg', 'woman-with-hat-matisse.jpg', 'golden_gate.jpg', 'tubingen.jpg', 'statue_of_liberty.jpg'];
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanups.reverse()) await f();
});

/**
 * `npm start`'s runBot (one node process: its pid is the bot's), connected to `emu`, with the fake
 * engine thread: saves use the style predictor in the chat process, never the painting engine.
 */
async function startBot(emu: DiscordEmulator, env: Record<string, string>, cwd: string): Promise<ChildProcess> {
  const before = emu.gatewayFrames.filter((f) => f.op === 2).length;
  const child = spawnBot('fake', {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: os.tmpdir(), ...emulatorEnv(emu), HTTP_ENABLED: 'false', LOG_LEVEL: 'warn', FAST_STYLE_MODELS: FAST_MODELS_DIR, ...env },
  });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await emu.waitFor('the bot to connect', () => emu.gatewayFrames.filter((f) => f.op === 2).length > before || undefined, 90_000).catch((e: unknown) => {
    throw new Error(`${String(e)}: ${output}`);
  });
  return child;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Sends saves one after another, each as soon as the bot has taken the one before (its "thinking…"
 * reply), and kills the bot right after it has taken one while at least `confirmedBeforeKill` were
 * confirmed: that save is on its way (downloaded, decoded, its vector computed, written) when it dies.
 */
async function saveThenKill(emu: DiscordEmulator, bot: ChildProcess, confirmedBeforeKill: number): Promise<{ confirmed: string[]; asked: string[] }> {
  // One save first, so the style predictor is open and the saves after it take their usual time.
  const warm = emu.runCommand({ name: 'style', subcommand: 'save', options: { name: 'warm up', image: await emu.uploadImage('udnie.jpg') } });
  await emu.waitFor('the first save', () => /Saved the style/.test(emu.original(warm)?.content ?? '') || undefined, 60_000);
  const sent: [string, EmuInteraction][] = [['warm up', warm]];
  const confirmedNow = () => sent.filter(([, i]) => /Saved the style/.test(emu.original(i)?.content ?? '')).map(([n]) => n);
  for (const [k, f] of PAINTINGS.entries()) {
    const image = await emu.uploadImage(f);
    const i = emu.runCommand({ name: 'style', subcommand: 'save', options: { name: `painting ${k}`, image } });
    sent.push([`painting ${k}`, i]);
    await emu.waitFor('the bot to take the save', () => i.callback !== undefined || undefined, 60_000);
    if (confirmedNow().length >= confirmedBeforeKill) break;
  }
  await killed(bot);
  // What the users read is all there is: nothing more can arrive from a dead process.
  return { confirmed: confirmedNow(), asked: sent.map(([n]) => n) };
}

/** Every style in the store is whole: its painting and thumbnail decode, its vector has 100 numbers. */
async function expectWhole(store: StyleStore, library: string): Promise<string[]> {
  const listed = await store.list(library);
  for (const s of listed) {
    const full = await store.get(library, s.name);
    expect(full, s.name).toBeDefined();
    expect((await sharp(full!.image).metadata()).width, s.name).toBeGreaterThan(0);
    expect((await sharp(full!.thumbnail).metadata()).format, s.name).toBe('jpeg');
    expect(full!.vector, s.name).toHaveLength(100);
    const index = /painting (\d+)/.exec(s.name)?.[1];
    const file = index === undefined ? 'udnie.jpg' : PAINTINGS[Number(index)]!;
    expect(Buffer.from(full!.image).equals(readFileSync(path.join(IMAGES_DIR, file))), s.name).toBe(true);
  }
  return listed.map((s) => s.name);
}

async function listedOnDiscord(emu: DiscordEmulator): Promise<string[]> {
  const names: string[] = [];
  for (let page = 1; ; page++) {
    const i = emu.runCommand({ name: 'style', subcommand: 'list', options: { page } });
    const m = await emu.waitFor('the list', () => {
      const r = emu.original(i);
      return r && !r.deferred ? r : undefined;
    });
    names.push(...m.embeds.map((e) => String(e.title)));
    if (!/for more/.test(m.content)) return names;
  }
}

describe('library: crash safety', () => {
  let emu: DiscordEmulator;
  let cwd: string;
  beforeAll(async () => {
    emu = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
    cwd = mkdtempSync(path.join(os.tmpdir(), 'style-crash-'));
    cleanups.push(() => emu.close(), () => rmSync(cwd, { recursive: true, force: true }));
  });

  it('library: kill -9 of the bot during saves, then restart: every confirmed style is there, whole, and nothing half-written (embedded database)', async () => {
    const env = { STYLE_LIBRARY_DIR: path.join(cwd, 'styles') };
    const first = await startBot(emu, env, cwd);
    const { confirmed, asked } = await saveThenKill(emu, first, 4);
    expect(confirmed.length).toBeGreaterThanOrEqual(4);
    // The kill came while a save was on its way.
    expect(confirmed.length).toBeLessThan(asked.length);

    const second = await startBot(emu, env, cwd);
    const shown = await listedOnDiscord(emu);
    for (const name of confirmed) expect(shown).toContain(name);
    await killed(second);
    const store = new LmdbStyleStore(env.STYLE_LIBRARY_DIR);
    try {
      const kept = await expectWhole(store, `discord:${emu.guildId}`);
      expect(kept.sort()).toEqual([...shown].sort());
    } finally {
      await store.close();
    }
  }, 300_000);
});

describe('library: crash safety on Redis', () => {
  let redis: TestRedis;
  let emuA: DiscordEmulator;
  let emuB: DiscordEmulator;
  let cwd: string;
  beforeAll(async () => {
    redis = await startRedis();
    // Two emulators of the same server (the same guild id): two chat processes of one bot.
    emuA = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
    emuB = await startDiscordEmulator({ imagesDir: IMAGES_DIR });
    cwd = mkdtempSync(path.join(os.tmpdir(), 'style-crash-redis-'));
    cleanups.push(() => redis.dispose(), () => emuA.close(), () => emuB.close(), () => rmSync(cwd, { recursive: true, force: true }));
  });

  it('library: on Redis, two chat processes see the same library; kill -9 of one during saves loses no confirmed style and leaves nothing half-written', async () => {
    // No local worker: these chat processes only save and list.
    const env = (id: string) => ({ REDIS_URL: redis.url, CHAT_INSTANCE_ID: id, LOCAL_WORKER: 'false', STYLE_LIBRARY_DIR: path.join(cwd, id) });
    const a = await startBot(emuA, env('chat-a'), cwd);
    await startBot(emuB, env('chat-b'), cwd);
    const { confirmed, asked } = await saveThenKill(emuA, a, 4);
    expect(confirmed.length).toBeLessThan(asked.length);

    // The other chat process lists every confirmed style, and autocompletes them.
    const seenByB = await listedOnDiscord(emuB);
    for (const name of confirmed) expect(seenByB).toContain(name);
    const ac = emuB.autocomplete({ name: 'stylize', options: { style_name: '' }, focused: 'style_name' });
    expect((await emuB.waitFor('choices', () => ac.choices)).map((c) => c.value).sort()).toEqual([...seenByB].sort());

    await startBot(emuA, env('chat-a'), cwd);
    expect((await listedOnDiscord(emuA)).sort()).toEqual([...seenByB].sort());
    const store = new RedisStyleStore(redis.client);
    expect((await expectWhole(store, `discord:${emuA.guildId}`)).sort()).toEqual([...seenByB].sort());
  }, 300_000);
});

describe('library: storage settings', () => {
  it('library: a STYLE_LIBRARY_DIR that cannot be made stops start-up with one line naming it and the fix', async () => {
    const { openStyleLibrary } = await import('../../src/commands/style-library/open-library.js');
    const { loadEnv } = await import('../../src/config.js');
    const { createLogger } = await import('../../src/log.js');
    // A folder inside a plain file cannot be made (ENOTDIR), whoever runs the test.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'style-settings-'));
    cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
    writeFileSync(path.join(tmp, 'file'), 'not a folder');
    const dir = path.join(tmp, 'file', 'styles');
    const env = loadEnv({ STYLE_LIBRARY_DIR: dir });
    await expect(openStyleLibrary(env, createLogger({ level: 'silent' }))).rejects.toThrow(
      `The style library cannot be opened in STYLE_LIBRARY_DIR=${dir} (ENOTDIR); fix: point it at a folder this process may create and write, or set REDIS_URL`,
    );
  });
});
