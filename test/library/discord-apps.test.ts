/**
 * The right-click apps on Discord (message context menu commands) through the emulator with the
 * real bot: Save as style and Stylize this photo on a member's message, each through its small form.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ephemeralAnswer, startHarness, type Harness } from '../discord/harness.js';
import { USERS, type EmuInteraction } from '../emulator/discord/emulator.js';
import { FAST_MODELS_DIR } from '../engine/support/fast-models.js';
import { IMAGES_DIR } from '../support/fixtures.js';

let h: Harness;
let dir: string;
const file = (name: string) => ({ filename: name, bytes: new Uint8Array(readFileSync(path.join(IMAGES_DIR, name))) });

function answered(i: EmuInteraction) {
  return h.emu.waitFor('an answer', () => {
    const m = h.emu.original(i);
    return m && !m.deferred ? m : undefined;
  });
}

async function meanColour(bytes: Uint8Array): Promise<number[]> {
  return (await sharp(bytes).stats()).channels.slice(0, 3).map((c) => c.mean);
}
const distance = (a: number[], b: number[]) => Math.hypot(...a.map((v, k) => v - b[k]!));

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'style-apps-'));
  h = await startHarness({ STYLE_LIBRARY_DIR: dir, FAST_STYLE_MODELS: FAST_MODELS_DIR, MAX_INPUT_BYTES: String(2 * 1024 * 1024) });
}, 120_000);

afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('right-click apps on Discord', () => {
  it('library: Stylize this photo on a message while the library is empty says how to save one', async () => {
    const photo = h.emu.postMessage(USERS.bob, [file('tubingen.jpg')]);
    const i = h.emu.runMessageCommand('Stylize this photo', photo);
    expect((await ephemeralAnswer(h.emu, i)).content).toMatch(/no saved styles yet/);
    expect(i.modal).toBeUndefined();
  });

  it('library: Save as style asks for a name, then saves the message\'s picture', async () => {
    const painting = h.emu.postMessage(USERS.bob, [file('the_scream.jpg')], 'look at this');
    const i = h.emu.runMessageCommand('Save as style', painting, USERS.alice);
    const modal = await h.emu.waitFor('the form', () => i.modal);
    expect(modal.title).toBe('Save as style');
    const submit = h.emu.submitModal(i, { name: 'Scream' });
    expect((await answered(submit)).content).toMatch(/Saved the style "Scream"/);
    // A second save under the same name is refused with a sentence.
    const again = h.emu.runMessageCommand('Save as style', painting, USERS.bob);
    await h.emu.waitFor('the form', () => again.modal);
    expect((await answered(h.emu.submitModal(again, { name: 'scream' }))).content).toMatch(/already has a style called "scream"/);
  });

  it('library: Stylize this photo asks for a saved style and strength, then paints the message\'s photo with it', async () => {
    const photo = h.emu.postMessage(USERS.bob, [file('tubingen.jpg')]);
    const i = h.emu.runMessageCommand('Stylize this photo', photo, USERS.alice);
    const modal = await h.emu.waitFor('the form', () => i.modal);
    expect(JSON.stringify(modal.components)).toContain('Scream');
    const submit = h.emu.submitModal(i, { style: 'Scream', strength: '0.3' });
    const result = await h.emu.waitFor('the picture', () => h.emu.original(submit)?.attachments.find((a) => a.filename.endsWith('.png')), 60_000);
    const got = await meanColour(result.bytes);
    expect(distance(got, await meanColour(file('the_scream.jpg').bytes))).toBeLessThan(distance(got, await meanColour(file('starry_night.jpg').bytes)));
    // The job ran as /stylize would, with the strength given in the form: its Parameters say so.
    const done = h.emu.original(submit)!;
    const params = h.emu.buttons(done).find((b) => b.label === 'Parameters')!;
    expect((await ephemeralAnswer(h.emu, h.emu.clickButton(done, params.customId, USERS.alice))).content).toContain('strength: 0.3');
  });

  it('library: a form with an unknown style or a bad strength answers with a sentence', async () => {
    const photo = h.emu.postMessage(USERS.bob, [file('tubingen.jpg')]);
    const a = h.emu.runMessageCommand('Stylize this photo', photo);
    await h.emu.waitFor('the form', () => a.modal);
    expect((await ephemeralAnswer(h.emu, h.emu.submitModal(a, { style: 'Mona Lisa', strength: '' }))).content).toMatch(/no style called "Mona Lisa"/);
    const b = h.emu.runMessageCommand('Stylize this photo', photo);
    await h.emu.waitFor('the form', () => b.modal);
    expect((await ephemeralAnswer(h.emu, h.emu.submitModal(b, { style: 'Scream', strength: '7' }))).content).toMatch(/strength/);
  });

  it('library: /help explains the library loop with a short example', async () => {
    const i = h.emu.runCommand({ name: 'help' });
    const text = String((await ephemeralAnswer(h.emu, i)).embeds[0]!.description);
    expect(text).toMatch(/\*\*Style library\*\*/);
    expect(text).toContain('/style save name:starry image:<painting>');
    expect(text).toContain('/stylize content:<photo> style_name:starry');
    expect(text).toMatch(/Right-click a message with a picture → Apps → \*\*Stylize this photo\*\*/);
  });

  it('library: both apps on a message without a picture, or with one over the limits, answer with a sentence', async () => {
    const words = h.emu.postMessage(USERS.bob, [{ filename: 'notes.txt', bytes: new TextEncoder().encode('hello'), contentType: 'text/plain' }], 'no picture here');
    for (const app of ['Stylize this photo', 'Save as style']) {
      const i = h.emu.runMessageCommand(app, words);
      expect((await ephemeralAnswer(h.emu, i)).content).toMatch(/That message has no picture in it/);
      expect(i.modal).toBeUndefined();
    }
    const big = h.emu.postMessage(USERS.bob, [{ filename: 'huge.png', bytes: new Uint8Array(3 * 1024 * 1024), contentType: 'image/png' }]);
    for (const app of ['Stylize this photo', 'Save as style']) {
      const i = h.emu.runMessageCommand(app, big);
      expect((await ephemeralAnswer(h.emu, i)).content).toMatch(/The picture in that message \(huge\.png\) is 3\.0 MB; the limit is 2\.0 MB/);
    }
  });
});
