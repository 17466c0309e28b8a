/** The stylize CLI as a user runs it: a real process, real weights, a real file written. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGES_DIR, WEIGHTS } from './support/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cliWith(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', pathToFileURL(path.join(root, 'node_modules/tsx/dist/esm/index.mjs')).href, path.join(root, 'src/cli/stylize.ts'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, VGG19_WEIGHTS: WEIGHTS, ...env },
  });
}
const cli = (...args: string[]) => cliWith({}, ...args);

const content = path.join(IMAGES_DIR, 'chicago.jpg');
const style = path.join(IMAGES_DIR, 'udnie.jpg');

describe('npm run stylize', () => {
  it('writes a PNG whose long side is --size', async () => {
    const out = path.join(dir, 'out.png');
    const run = cli(content, style, '-o', out, '--size', '64', '--iterations', '10', '--style_weight', '200', '--preserve_colors');
    expect(run.status, run.stderr).toBe(0);
    const meta = await sharp(out).metadata();
    expect(meta.format).toBe('png');
    expect(Math.max(meta.width!, meta.height!)).toBe(64);
    // Not a TTY here: progress comes as plain lines, ending with a summary.
    expect(run.stderr).toMatch(/scale 1\/1 .* step 10\/10/);
    expect(run.stderr).toMatch(/wrote .*out\.png \(64x\d+\)/);
  });

  it('refuses a bad option value with one line naming the option', () => {
    const run = cli(content, style, '--style_weight', 'lots');
    expect(run.status).not.toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: style_weight must be a number/);
  });

  it('refuses a size above the cap with one line', () => {
    const run = cli(content, style, '--size', '5000');
    expect(run.status).not.toBe(0);
    expect(run.stderr.trim()).toMatch(/^error: size must be at most \d+/);
  });

  it('refuses a bad MAX_IMAGE_SIZE with the one configuration line npm start prints', () => {
    const run = cliWith({ MAX_IMAGE_SIZE: '99999' }, content, style, '--size', '64', '--iterations', '10');
    expect(run.status).not.toBe(0);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Configuration error: MAX_IMAGE_SIZE="99999" is not valid .*fix: /);
    expect(run.stderr).not.toMatch(/\bat \S+:\d+/);
  });

  it('says which file it cannot read', () => {
    const run = cli(path.join(dir, 'missing.jpg'), style);
    expect(run.status).not.toBe(0);
    expect(run.stderr.trim()).toBe(`error: cannot read the content image ${path.join(dir, 'missing.jpg')}: no such file; check the path`);
  });
});
