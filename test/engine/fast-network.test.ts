/**
 * The fast network's converter (.tflite → ONNX, engine/fast/) against what a TFLite runtime
 * computed from the same files (reference/ of the shared models), and the sentences bad, corrupt
 * or missing model files get, directly and through an engine.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/index.js';
import { ensureFastModels, fastModelFiles, FAST_MODELS } from '../../src/engine/fast/models.js';
import { loadFastNetwork, type FastNetwork } from '../../src/engine/fast/network.js';
import { image, refusal, WEIGHTS } from '../support/fixtures.js';
import { FAST_MODELS_DIR, FAST_REFERENCE_DIR } from './support/fast-models.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'fast-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pixels(file: string): Promise<{ data: Float32Array; width: number; height: number; bytes: Uint8Array }> {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: Float32Array.from(data, (v) => v / 255), width: info.width, height: info.height, bytes: new Uint8Array(data) };
}

describe('instant: the converted networks against a TFLite runtime', () => {
  let net: FastNetwork;
  beforeAll(async () => {
    net = await loadFastNetwork(fastModelFiles(FAST_MODELS_DIR));
  });
  afterAll(() => net?.dispose());

  it('instant: the predictor gives the TFLite int8 style vector of udnie (cosine ≥ 0.999)', async () => {
    const style = await pixels(path.join(FAST_REFERENCE_DIR, 'style_udnie_256.png'));
    const ours = await net.predict(style.data);
    const theirs = (JSON.parse(readFileSync(path.join(FAST_REFERENCE_DIR, 'style_vector_udnie.json'), 'utf8')) as number[]).flat(4);
    expect(ours.length).toBe(100);
    let dot = 0;
    let a = 0;
    let b = 0;
    theirs.forEach((t, i) => {
      dot += ours[i]! * t;
      a += ours[i]! ** 2;
      b += t ** 2;
    });
    expect(dot / Math.sqrt(a * b)).toBeGreaterThanOrEqual(0.999);
  });

  it('instant: the f16 transfer network reproduces the TFLite picture of chicago + udnie (PSNR ≥ 40 dB)', async () => {
    const content = await pixels(path.join(FAST_REFERENCE_DIR, 'content_chicago_384.png'));
    const vector = Float32Array.from((JSON.parse(readFileSync(path.join(FAST_REFERENCE_DIR, 'style_vector_udnie.json'), 'utf8')) as number[]).flat(4));
    const out = await net.transfer(content, vector);
    const expected = await pixels(path.join(FAST_REFERENCE_DIR, 'stylized_chicago_udnie_384_f16.png'));
    let squared = 0;
    for (let i = 0; i < out.length; i++) squared += (Math.round(Math.min(1, Math.max(0, out[i]!)) * 255) - expected.bytes[i]!) ** 2;
    const psnr = 10 * Math.log10(255 ** 2 / (squared / out.length));
    expect(psnr).toBeGreaterThanOrEqual(40);
  });

  it('instant: the transfer network takes any size, 4-px multiples or not, and gives back the same size', async () => {
    const vector = await net.predict((await pixels(path.join(FAST_REFERENCE_DIR, 'style_udnie_256.png'))).data);
    for (const [width, height] of [
      [101, 67],
      [64, 64],
    ] as const) {
      const out = await net.transfer({ data: new Float32Array(width * height * 3).fill(0.5), width, height }, vector);
      expect(out.length).toBe(width * height * 3);
      expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });
});

describe('instant: bad, corrupt or missing fast model files get a sentence', () => {
  const folder = (name: string, files: { predictor?: Uint8Array | 'real'; transfer?: Uint8Array | 'real' }) => {
    const d = path.join(dir, name);
    rmSync(d, { recursive: true, force: true });
    mkdirSync(d);
    const target = fastModelFiles(d);
    const real = fastModelFiles(FAST_MODELS_DIR);
    for (const key of ['predictor', 'transfer'] as const) {
      const f = files[key];
      if (f === undefined) continue;
      writeFileSync(target[key], f === 'real' ? readFileSync(real[key]) : f);
    }
    return d;
  };

  it('instant: a missing folder names the file that is missing', async () => {
    const r = await refusal(loadFastNetwork(fastModelFiles(path.join(dir, 'nowhere'))));
    expect(r.code).toBe('weights-missing');
    expect(r.message).toMatch(/^The fast style predictor model was not found at .*style_predict_quantized_256\.tflite\.$/);
  });

  it('instant: a file that is not TensorFlow Lite, and one cut short, are called corrupt', async () => {
    const notTflite = await refusal(loadFastNetwork(fastModelFiles(folder('html', { predictor: new TextEncoder().encode('<html>404</html>'), transfer: 'real' }))));
    expect(notTflite.code).toBe('weights-corrupt');
    expect(notTflite.message).toMatch(/style_predict_quantized_256\.tflite is not a valid TensorFlow Lite file \(no TFL3 identifier\); download it again\./);
    const whole = readFileSync(fastModelFiles(FAST_MODELS_DIR).transfer);
    const cut = await refusal(loadFastNetwork(fastModelFiles(folder('cut', { predictor: 'real', transfer: whole.subarray(0, 200_000) }))));
    expect(cut.code).toBe('weights-corrupt');
    expect(cut.message).toMatch(/style_transfer_f16_384\.tflite .*download it again/);
  });

  it('instant: a TFLite file of another network is refused as not the expected one', async () => {
    // The predictor where the transfer network should be: one input, not two.
    const swapped = folder('swapped', { predictor: 'real', transfer: readFileSync(fastModelFiles(FAST_MODELS_DIR).predictor) });
    const r = await refusal(loadFastNetwork(fastModelFiles(swapped)));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toMatch(/is not the expected network/);
  });

  it('instant: an engine asked for a fast picture with broken model files refuses with the sentence, and paints as before', async () => {
    const broken = folder('engine', { predictor: new Uint8Array(64), transfer: 'real' });
    const engine = await createEngine({ weights: WEIGHTS, backend: 'onnx', fastModels: broken });
    try {
      const request = { content: image('chicago.jpg'), styles: [{ bytes: image('udnie.jpg') }] };
      const r = await refusal(engine.stylize({ ...request, options: { mode: 'fast', size: 64 } }));
      expect(r.code).toBe('weights-corrupt');
      expect(r.message).toMatch(/The fast style model .*style_predict_quantized_256\.tflite is not a valid TensorFlow Lite file/);
      const painted = await engine.stylize({ ...request, options: { size: 48, iterations: 2 } });
      expect(painted.width).toBe(48);
    } finally {
      engine.dispose();
    }
  });

  it('instant: an engine without a fast models folder says so', async () => {
    const engine = await createEngine({ weights: WEIGHTS, backend: 'onnx' });
    try {
      const r = await refusal(engine.stylize({ content: image('chicago.jpg'), styles: [{ bytes: image('udnie.jpg') }], options: { mode: 'fast', size: 64 } }));
      expect(r).toEqual({ code: 'weights-missing', message: 'The fast style models are not set up for this engine (no fastModels directory was given).' });
    } finally {
      engine.dispose();
    }
  });
});

describe('instant: downloading the fast models', () => {
  let server: Server;
  let base: string;
  /** What the server sends for each file name (the real bytes unless replaced). */
  const served = new Map<string, Uint8Array>();
  beforeAll(async () => {
    server = createServer((req, res) => {
      const name = decodeURIComponent(new URL(req.url!, 'http://x').pathname.slice(1));
      const body = served.get(name);
      if (!body) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => server?.close());

  it('instant: fetches both files, checks their SHA-256, and keeps good files on the next run', async () => {
    const real = fastModelFiles(FAST_MODELS_DIR);
    served.set(FAST_MODELS.predictor.fileName, readFileSync(real.predictor));
    served.set(FAST_MODELS.transfer.fileName, readFileSync(real.transfer));
    const target = path.join(dir, 'download');
    const progress: string[] = [];
    const files = await ensureFastModels(target, { baseUrl: base, onProgress: (f, received, total) => received === total && progress.push(f) });
    expect(readFileSync(files.predictor).equals(readFileSync(real.predictor))).toBe(true);
    expect(progress).toEqual([FAST_MODELS.predictor.fileName, FAST_MODELS.transfer.fileName]);
    served.clear();
    // Nothing served now: good files already there are not fetched again.
    await expect(ensureFastModels(target, { baseUrl: base })).resolves.toEqual(files);
  });

  it('instant: a file with the wrong SHA-256 is deleted and refused with a sentence', async () => {
    served.set(FAST_MODELS.predictor.fileName, new TextEncoder().encode('not the model'));
    const target = path.join(dir, 'wrong');
    const r = await refusal(ensureFastModels(target, { baseUrl: base }));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toMatch(/^The fast style model downloaded from .*style_predict_quantized_256\.tflite has SHA-256 [0-9a-f]{64}, expected af6ad4b2/);
    expect(() => readFileSync(fastModelFiles(target).predictor)).toThrow(/ENOENT/);
  });

  it('instant: a server that does not have the file gets a sentence naming it', async () => {
    served.clear();
    const r = await refusal(ensureFastModels(path.join(dir, 'absent'), { baseUrl: base }));
    expect(r.code).toBe('weights-missing');
    expect(r.message).toMatch(/^Could not download the fast style model style_predict_quantized_256\.tflite: .*HTTP 404/);
  });
});
