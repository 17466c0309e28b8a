/**
 * Issue 24, items 7, 10 and 12 for the CLI, as a user runs it (a real process, real weights):
 * the file written has the bytes its name promises, an OS error is a sentence with a fix, and the
 * CLI's words are its own (no chat "Send", no "tfjs backend", the digits the user typed).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGES_DIR, WEIGHTS } from '../support/fixtures.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = pathToFileURL(path.join(root, 'node_modules/tsx/dist/esm/index.mjs')).href;
const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-cli-output-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(extraEnv: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', tsx, path.join(root, 'src/cli/stylize.ts'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, VGG19_WEIGHTS: WEIGHTS, ...extraEnv },
  });
}
const content = path.join(IMAGES_DIR, 'chicago.jpg');
const style = path.join(IMAGES_DIR, 'udnie.jpg');
const tiny = ['--size', '64', '--iterations', '10'];

/** One line, before the engine started (its first words are "backend …"). */
function refusedEarly(run: ReturnType<typeof cli>): string {
  expect(run.status, run.stderr).toBe(1);
  expect(run.stderr).not.toMatch(/^backend /m);
  const lines = run.stderr.trim().split('\n');
  expect(lines, run.stderr).toHaveLength(1);
  return lines[0]!;
}

describe('the output file type', () => {
  it.each([
    ['out.jpg', 'jpeg'],
    ['out.webp', 'webp'],
  ])(
    '-o %s writes %s bytes',
    async (name, format) => {
      const out = path.join(dir, name);
      const run = cli({}, content, style, '-o', out, ...tiny);
      expect(run.status, run.stderr).toBe(0);
      expect((await sharp(out).metadata()).format).toBe(format);
    },
    120_000,
  );

  it('--format decides when the name has no extension the CLI knows; a contradiction is one sentence', async () => {
    const out = path.join(dir, 'result.img');
    const run = cli({}, content, style, '-o', out, '--format', 'jpeg', ...tiny);
    expect(run.status, run.stderr).toBe(0);
    expect((await sharp(out).metadata()).format).toBe('jpeg');
    const clash = refusedEarly(cli({}, content, style, '-o', path.join(dir, 'x.png'), '--format', 'jpeg'));
    expect(clash).toMatch(
      /^error: --format jpeg and -o .*x\.png disagree: the file name says png; name the file …\.jpg, or leave out --format\.$/,
    );
  }, 120_000);
});

describe('operating-system errors are sentences with a fix', () => {
  it('-o /proc/version is refused before the job, without an errno', () => {
    const line = refusedEarly(cli({}, content, style, '-o', '/proc/version'));
    expect(line).toMatch(
      /^error: cannot write the result to \/proc\/version: .*choose a path in a normal folder/,
    );
    expect(line).not.toMatch(/EIO|i\/o error/);
  });

  it('permission denied on an input or on the output folder says how to fix it', () => {
    // As root every file is readable: the CLI then runs as nobody, as the hostile run did.
    const asNobody =
      process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    chmodSync(dir, 0o777);
    const locked = path.join(dir, 'locked.jpg');
    writeFileSync(locked, 'x', { mode: 0o000 });
    const closed = path.join(dir, 'closed');
    mkdirSync(closed, { mode: 0o555 });
    const run = (...args: string[]) => {
      const [cmd, ...rest] = [
        ...asNobody,
        process.execPath,
        '--import',
        tsx,
        path.join(root, 'src/cli/stylize.ts'),
        ...args,
      ];
      return spawnSync(cmd!, rest, {
        cwd: dir,
        encoding: 'utf8',
        timeout: 120_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, VGG19_WEIGHTS: WEIGHTS },
      });
    };
    const fix = 'permission denied; choose a file or folder your user may use, or change its permissions';
    expect(refusedEarly(run(locked, style))).toBe(`error: cannot read the content image ${locked}: ${fix}`);
    expect(refusedEarly(run(content, style, '-o', path.join(closed, 'out.png')))).toBe(
      `error: cannot write the result to ${path.join(closed, 'out.png')}: ${fix}.`,
    );
  });
});

describe("the CLI's own words", () => {
  it('a seed of twenty nines is told back in the digits typed', () => {
    const line = refusedEarly(cli({}, content, style, '--seed', '99999999999999999999'));
    expect(line).toBe('error: seed must be at most 2147483647 (you gave 99999999999999999999).');
  });

  it('a text file is refused without chat words', () => {
    const text = path.join(dir, 'notes.txt');
    writeFileSync(text, 'hello, this is not a picture\n');
    const line = refusedEarly(cli({}, text, style));
    expect(line).toMatch(/Use a JPEG, PNG, WebP or GIF\.$/);
    expect(line).not.toMatch(/\bSend\b/);
  });

  it('--help names the compute runtimes, not "tfjs backend", and the real size range and default', () => {
    const run = cli({ MAX_IMAGE_SIZE: '128' }, '--help');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).not.toMatch(/tfjs backend/);
    expect(run.stdout).toMatch(/--backend <name>\s+compute runtime/);
    expect(run.stdout).toMatch(/size \(64–128, default 128\)/);
  });

  it('STYLIZE_ONNX_CONV=garbage is the one configuration line, not ignored', () => {
    const line = refusedEarly(cli({ STYLIZE_ONNX_CONV: 'garbage' }, content, style));
    expect(line).toMatch(/^Configuration error: STYLIZE_ONNX_CONV="garbage" is not valid .*fix: /);
  });
});
