/**
 * The style library through the Discord emulator with the real bot (discord.js over real sockets,
 * a real LMDB file, the real fast style predictor for the vector; the fake engine worker paints,
 * tinting the photo with the first painting's mean colour, so the picture shows which painting it used).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LmdbStyleStore } from '../../src/commands/style-library/lmdb-store.js';
import { ephemeralAnswer, startHarness, type Harness } from '../discord/harness.js';
import { USERS, type EmuInteraction } from '../emulator/discord/emulator.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { IMAGES_DIR } from '../support/fixtures.js';

const OTHER_GUILD = '200000000000000099';
const MAX = 4;

let h: Harness;
let dir: string;

/** The deferred ephemeral answer once written. */
function answered(i: EmuInteraction) {
  return h.emu.waitFor('an answer', () => {
    const m = h.emu.original(i);
    return m && !m.deferred ? m : undefined;
  });
}

async function save(name: string, file: string, user = USERS.alice, guildId?: string): Promise<string> {
  const image = await h.emu.uploadImage(file);
  const i = h.emu.runCommand({ name: 'style', subcommand: 'save', options: { name, image }, user, guildId });
  return (await answered(i)).content;
}

async function list(guildId?: string, page?: number) {
  const i = h.emu.runCommand({ name: 'style', subcommand: 'list', options: page ? { page } : {}, guildId });
  return answered(i);
}

async function meanColour(bytes: Uint8Array): Promise<number[]> {
  return (await sharp(bytes).stats()).channels.slice(0, 3).map((c) => c.mean);
}
async function noisePng(side: number): Promise<Uint8Array> {
  const data = Buffer.alloc(side * side * 3);
  for (let k = 0; k < data.length; k++) data[k] = (k * 2654435761) >>> 24;
  return new Uint8Array(await sharp(data, { raw: { width: side, height: side, channels: 3 } }).png({ compressionLevel: 0 }).toBuffer());
}
const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, k) => v - b[k]!));

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'style-library-'));
  h = await startHarness({ STYLE_LIBRARY_DIR: dir, STYLE_LIBRARY_MAX: String(MAX), FAST_STYLE_MODELS: FAST_MODELS_DIR, MAX_INPUT_BYTES: String(2 * 1024 * 1024) });
}, 120_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('style library on Discord', () => {
  it('library: /style save keeps the painting with its 100-number style vector, /style list shows it with a thumbnail', async () => {
    expect(await save('Starry night', 'starry_night.jpg')).toMatch(/Saved the style "Starry night"/);
    const shown = await list();
    expect(shown.content).toMatch(/1 saved style/);
    expect(shown.embeds.map((e) => e.title)).toEqual(['Starry night']);
    expect(String((shown.embeds[0]!.thumbnail as { url: string }).url)).toBe('attachment://style-1.jpg');
    const thumb = shown.attachments.find((a) => a.filename === 'style-1.jpg')!;
    const meta = await sharp(thumb.bytes).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(128);
    expect(meta.format).toBe('jpeg');
  });

  it('library: duplicate names are refused with a sentence, whatever their case and spacing', async () => {
    expect(await save('starry  NIGHT', 'udnie.jpg')).toMatch(/already has a style called "starry NIGHT"/);
    expect((await list()).embeds).toHaveLength(1);
  });

  it('library: bad names and pictures over the input limits are refused with a sentence, and nothing is kept', async () => {
    expect(await save('no/slashes', 'udnie.jpg')).toMatch(/cannot be a style name: use 1 to 32 letters, digits, spaces, - or _/);
    expect(await save('   ', 'udnie.jpg')).toMatch(/cannot be a style name/);
    // Noise does not compress: a 1000² PNG of it is over this bot's 2 MiB MAX_INPUT_BYTES.
    const big = h.emu.upload('noise.png', await noisePng(1000));
    expect(big.size).toBeGreaterThan(2 * 1024 * 1024);
    const i0 = h.emu.runCommand({ name: 'style', subcommand: 'save', options: { name: 'noise', image: big } });
    expect((await answered(i0)).content).toMatch(/is 2.9 MB, more than the 2.0 MB limit/);
    const text = h.emu.upload('notes.png', new TextEncoder().encode('just some words, not a picture'));
    const i = h.emu.runCommand({ name: 'style', subcommand: 'save', options: { name: 'notes', image: text } });
    expect((await answered(i)).content).toMatch(/not a picture|is text/i);
    expect((await list()).embeds.map((e) => e.title)).toEqual(['Starry night']);
  });

  it('library: autocomplete offers the saved names matching what was typed', async () => {
    expect(await save('Scream', 'the_scream.jpg')).toMatch(/Saved/);
    const i = h.emu.autocomplete({ name: 'stylize', options: { style_name: 'sta' }, focused: 'style_name' });
    const choices = await h.emu.waitFor('choices', () => i.choices);
    expect(choices.map((c) => c.value)).toEqual(['Starry night']);
    const all = h.emu.autocomplete({ name: 'stylize', options: { style_name: '' }, focused: 'style_name' });
    expect((await h.emu.waitFor('choices', () => all.choices)).map((c) => c.value)).toEqual(['Scream', 'Starry night']);
  });

  it('library: /stylize style_name paints with the saved painting, with no style attached', async () => {
    const content = await h.emu.uploadImage('tubingen.jpg');
    const i = h.emu.runCommand({ name: 'stylize', options: { content, style_name: 'scream', size: 64, iterations: 10 } });
    const result = await h.emu.waitFor('the picture', () => h.emu.original(i)?.attachments.find((a) => a.filename.endsWith('.png')), 60_000).catch((e: unknown) => {
      throw new Error(`${String(e)}: ${JSON.stringify(h.emu.original(i)?.history)} ${JSON.stringify(h.logs.slice(-5))}`);
    });
    const got = await meanColour(result.bytes);
    const scream = await meanColour(readFileSync(path.join(IMAGES_DIR, 'the_scream.jpg')));
    const starry = await meanColour(readFileSync(path.join(IMAGES_DIR, 'starry_night.jpg')));
    // Tinted with the saved painting's colour: nearer The Scream's than Starry Night's.
    expect(distance(got, scream)).toBeLessThan(distance(got, starry));
  });

  it('library: /stylize with an unknown style_name, or with no style at all, answers with a sentence and queues nothing', async () => {
    const content = await h.emu.uploadImage('tubingen.jpg');
    const unknown = h.emu.runCommand({ name: 'stylize', options: { content, style_name: 'mona lisa' } });
    expect((await ephemeralAnswer(h.emu, unknown)).content).toMatch(/no style called "mona lisa"/);
    const none = h.emu.runCommand({ name: 'stylize', options: { content } });
    expect((await ephemeralAnswer(h.emu, none)).content).toMatch(/Give a style/);
    expect(h.live.length).toBe(0);
  });

  it('library: other servers never see this server\'s styles', async () => {
    const other = await list(OTHER_GUILD);
    expect(other.content).toMatch(/no saved styles yet/);
    const ac = h.emu.autocomplete({ name: 'stylize', options: { style_name: 's' }, focused: 'style_name', guildId: OTHER_GUILD });
    expect(await h.emu.waitFor('choices', () => ac.choices)).toEqual([]);
    const content = await h.emu.uploadImage('tubingen.jpg');
    const i = h.emu.runCommand({ name: 'stylize', options: { content, style_name: 'Scream' }, guildId: OTHER_GUILD });
    expect((await ephemeralAnswer(h.emu, i)).content).toMatch(/no style called "Scream"/);
    // The same name is free there.
    expect(await save('Scream', 'udnie.jpg', USERS.bob, OTHER_GUILD)).toMatch(/Saved/);
    expect((await list(OTHER_GUILD)).embeds.map((e) => e.title)).toEqual(['Scream']);
  });

  it('library: only the saver or a member with Manage Messages removes a style', async () => {
    const byBob = h.emu.runCommand({ name: 'style', subcommand: 'remove', options: { name: 'Scream' }, user: USERS.bob });
    expect((await ephemeralAnswer(h.emu, byBob)).content).toMatch(/Only the member who saved "Scream", or a member who can manage messages/);
    const byMod = h.emu.runCommand({ name: 'style', subcommand: 'remove', options: { name: 'scream' }, user: USERS.mod });
    expect((await ephemeralAnswer(h.emu, byMod)).content).toBe('Removed the style "Scream".');
    const byAlice = h.emu.runCommand({ name: 'style', subcommand: 'remove', options: { name: 'Starry night' }, user: USERS.alice });
    expect((await ephemeralAnswer(h.emu, byAlice)).content).toBe('Removed the style "Starry night".');
    const again = h.emu.runCommand({ name: 'style', subcommand: 'remove', options: { name: 'Starry night' } });
    expect((await ephemeralAnswer(h.emu, again)).content).toMatch(/no style called/);
    expect((await list()).content).toMatch(/no saved styles yet/);
    // The other server's style is untouched by this server's removals.
    expect((await list(OTHER_GUILD)).embeds.map((e) => e.title)).toEqual(['Scream']);
  });

  it('library: at most STYLE_LIBRARY_MAX styles per server; the next is refused with a sentence; lists are paged', async () => {
    const files = ['udnie.jpg', 'chicago.jpg', 'sketch.jpg', 'shipwreck.jpg'];
    for (const [k, f] of files.entries()) expect(await save(`style ${k}`, f)).toMatch(/Saved/);
    expect(await save('one more', 'red_circles.jpg')).toMatch(/library is full \(4 styles\)/);
    expect((await list()).embeds).toHaveLength(4);
    expect((await list(undefined, 2)).content).toMatch(/There is 1 page/);
  });

  it('library: the style vector was computed at save and kept in the database file', async () => {
    const store = new LmdbStyleStore(dir);
    try {
      const kept = await store.get(`discord:${h.emu.guildId}`, 'style 0');
      expect(kept?.vector).toHaveLength(100);
      expect(kept!.vector!.every(Number.isFinite)).toBe(true);
      expect(new Set(kept!.vector).size).toBeGreaterThan(50);
      const other = await store.get(`discord:${h.emu.guildId}`, 'style 1');
      expect(distance(kept!.vector!, other!.vector!)).toBeGreaterThan(0.1);
    } finally {
      await store.close();
    }
  });
});
