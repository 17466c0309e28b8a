/** `npm run stylize -- --mode fast` as a user runs it: a real process, the shared model files, a real PNG. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGES_DIR, WEIGHTS } from '../support/fixtures.js';
import { FAST_MODELS_DIR } from './support/fast-models.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'stylize-fast-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, ['--import', pathToFileURL(path.join(root, 'node_modules/tsx/dist/esm/index.mjs')).href, path.join(root, 'src/cli/stylize.ts'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, VGG19_WEIGHTS: WEIGHTS, STYLIZE_BACKEND: 'onnx', ...env },
  });
}

const content = path.join(IMAGES_DIR, 'chicago.jpg');
const style = path.join(IMAGES_DIR, 'udnie.jpg');

describe('instant: npm run stylize -- --mode fast', () => {
  it('instant: writes the fast picture at --size, with no painting steps', async () => {
    const out = path.join(dir, 'fast.png');
    const run = cli({ FAST_STYLE_MODELS: FAST_MODELS_DIR }, content, style, '-o', out, '--mode', 'fast', '--size', '201');
    expect(run.status, run.stderr).toBe(0);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 201, 134]);
    expect(run.stderr).toMatch(/wrote .*fast\.png \(201x134\) in [\d.]+ s\n/);
    expect(run.stderr).not.toMatch(/step|loss/);
  });

  it('instant: without the model files it says which file is missing and how to get it', () => {
    const run = cli({ FAST_STYLE_MODELS: path.join(dir, 'empty') }, content, style, '-o', path.join(dir, 'none.png'), '--mode', 'fast', '--size', '64');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/The fast style predictor model was not found at .*empty\/style_predict_quantized_256\.tflite\. Fix: run `npm run fetch-weights` \(it also downloads the fast style models\), or set FAST_STYLE_MODELS/);
  });

  it('instant: --mode takes only paint or fast, as the one option schema says', () => {
    const run = cli({ FAST_STYLE_MODELS: FAST_MODELS_DIR }, content, style, '--mode', 'quick');
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/mode must be one of paint, fast/);
  });
});
