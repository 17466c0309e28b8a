/**
 * Issue 12, points 5-8 for the CLI, as a user runs it (a real process): `.env` and the input limits
 * are read like the bot reads them, inputs and the output path are checked before the weights load,
 * a failed write keeps the picture, and the sentences are the CLI's, not the chat's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEnv } from '../../src/config.js';
import { DEFAULT_LIMITS } from '../../src/engine/index.js';
import { IMAGES_DIR, WEIGHTS } from '../support/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/esm/index.mjs')).href;
const entry = path.join(root, 'src/cli/stylize.ts');
const base = mkdtempSync(path.join(os.tmpdir(), 'stylize-hostile-cli-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const content = path.join(IMAGES_DIR, 'chicago.jpg');
const style = path.join(IMAGES_DIR, 'udnie.jpg');
/** A clean environment: only what the test sets (and `.env` in the working directory) counts. */
const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: base, VGG19_WEIGHTS: WEIGHTS, ...extra });

let n = 0;
function workdir(dotenv?: string): string {
  const dir = path.join(base, `w${++n}`);
  mkdirSync(dir);
  if (dotenv !== undefined) writeFileSync(path.join(dir, '.env'), dotenv);
  return dir;
}

function cli(cwd: string, ...args: string[]) {
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', tsx, entry, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: env() });
  return { ...run, ms: performance.now() - started };
}

/** Refused in one line, before the engine (whose first words are "backend …") was started. */
function expectRefusedEarly(run: ReturnType<typeof cli>, line: RegExp): void {
  expect(run.status).toBe(1);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(line);
  expect(run.stderr).not.toMatch(/^backend /m);
  // Chat wording has no place in a terminal.
  expect(run.stderr).not.toMatch(/Attach|attachment|\/help|upload/i);
}

describe('input limits and .env', () => {
  it("the engine's own defaults are the configuration's (and the README's)", () => {
    const env = loadEnv({});
    expect(DEFAULT_LIMITS).toEqual({ maxBytes: env.MAX_INPUT_BYTES, maxPixels: env.MAX_INPUT_PIXELS });
    expect(DEFAULT_LIMITS).toEqual({ maxBytes: 20 * 1024 * 1024, maxPixels: 50_000_000 });
  });

  it('MAX_INPUT_BYTES from .env refuses a larger file before the weights load', () => {
    const cwd = workdir('MAX_INPUT_BYTES=2048\n');
    expectRefusedEarly(cli(cwd, content, style), /^error: the content image .*chicago\.jpg is [\d.]+ (KB|MB); the limit is 2 KB \(MAX_INPUT_BYTES\)\.$/);
  });

  it('MAX_INPUT_PIXELS from .env refuses a larger picture before the weights load', () => {
    const cwd = workdir('MAX_INPUT_PIXELS=100000\n');
    expectRefusedEarly(cli(cwd, content, style), /^error: The content image is \d+ x \d+ pixels \([\d.]+ megapixels\); the limit is 0\.1 megapixels\./);
  });

  it('a bad limit in .env is the configuration line npm start prints', () => {
    const cwd = workdir('MAX_INPUT_PIXELS=lots\n');
    const run = cli(cwd, content, style);
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toMatch(/^Configuration error: MAX_INPUT_PIXELS="lots" is not valid/);
  });
});

describe('bad inputs are refused before the weights load', () => {
  it('an empty file, a directory, a text file, a style too thin: each one line, in well under the load time', () => {
    const cwd = workdir();
    writeFileSync(path.join(cwd, 'empty.jpg'), '');
    writeFileSync(path.join(cwd, 'notes.png'), 'just some words, not a picture\n');
    mkdirSync(path.join(cwd, 'folder'));
    const empty = cli(cwd, 'empty.jpg', style);
    expectRefusedEarly(empty, /^error: The content image is empty \(0 bytes\): there is no picture in it\.$/);
    expectRefusedEarly(cli(cwd, 'folder', style), /^error: cannot read the content image folder: it is a directory, not a picture file$/);
    expectRefusedEarly(cli(cwd, content, 'notes.png'), /^error: The style image is a text file, not a picture\./);
    // Seconds, not the weights' load: tsx and sharp start, the engine never does.
    expect(empty.ms).toBeLessThan(15_000);
  });

  it('a style too thin for the poolings is refused before the weights load', async () => {
    const cwd = workdir();
    await sharp(style).resize(1000, 100, { fit: 'fill' }).toFile(path.join(cwd, 'banner.jpg'));
    expectRefusedEarly(cli(cwd, content, 'banner.jpg', '--size', '64'), /^error: The style image is 1000×100, too elongated: at 64 px it would be scaled to 64×6/);
  });
});

describe('weights the CLI cannot load', () => {
  it("says what is wrong in the engine's words, then how the operator fixes it", () => {
    const cwd = workdir();
    const gone = cli(cwd, content, style, '--size', '64', '--weights', path.join(cwd, 'no-weights'));
    expect(gone.status).toBe(1);
    expect(gone.stderr.trim().split('\n').at(-1)).toMatch(
      /^error: VGG19 weights not found at .*no-weights\. Fix: run `npm run fetch-weights` .*, or set VGG19_WEIGHTS to a model\.json, directory, URL or \.h5 file\.$/,
    );
  });
});

describe('the output path', () => {
  it('is checked before the job: a missing directory, or a directory itself', () => {
    const cwd = workdir();
    expectRefusedEarly(cli(cwd, content, style, '-o', 'nowhere/out.png'), /^error: cannot write the result to nowhere\/out\.png: the directory .*nowhere does not exist\.$/);
    expectRefusedEarly(cli(cwd, content, style, '-o', cwd), /^error: cannot write the result to .*: it is a directory; give a file name, e\.g\. -o out\.png\.$/);
  });

  it('when writing still fails after the job, the picture is saved in the working directory and the user is told where', async () => {
    const cwd = workdir();
    const target = path.join(cwd, 'gone');
    mkdirSync(target);
    const child = spawn(process.execPath, ['--import', tsx, entry, content, style, '-o', path.join(target, 'out.png'), '--size', '64', '--iterations', '15'], { cwd, env: env() });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // The job is under way: now the directory disappears under it.
      if (/step \d+\/15/.test(stderr) && existsSync(target)) rmSync(target, { recursive: true });
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    const saved = /saved it as (\S+\.png) instead\.$/m.exec(stderr)?.[1];
    expect(stderr).toMatch(new RegExp(`^error: could not write the result to ${target}/out\\.png \\(no such file; check the path\\); saved it as `, 'm'));
    expect(saved && path.dirname(saved)).toBe(cwd);
    expect(readdirSync(cwd).filter((f) => f.startsWith('stylized-'))).toHaveLength(1);
    const meta = await sharp(saved!).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBe(64);
  });
});
