import { createServer, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile, copyFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStylizeError, type StylizeErrorCode } from '../../src/engine/errors.js';
import { VGG19_CONV_LAYERS, expectedKernelShape } from '../../src/engine/layers.js';
import { loadVggWeights, type VggWeights } from '../../src/engine/tfjs/weights.js';
import { readVggWeights } from '../../src/engine/weights/index.js';
import { decodeValues } from '../../src/engine/weights/tfjs-layers.js';
import { WEIGHTS } from '../support/fixtures.js';

const MODEL_JSON = WEIGHTS.endsWith('.json') ? WEIGHTS : path.join(WEIGHTS, 'model.json');
const MODEL_DIR = path.dirname(MODEL_JSON);

interface Entry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale: number; min: number };
}
interface Manifest {
  weightsManifest: { paths: string[]; weights: Entry[] }[];
}

async function refusal(p: Promise<unknown>): Promise<{ code: StylizeErrorCode; message: string }> {
  try {
    const w = await p;
    (w as VggWeights | undefined)?.dispose?.();
  } catch (e) {
    if (isStylizeError(e)) {
      // The engine is a library: what to run or set is the app's to say (src/cli/weights-fix.ts).
      expect(e.message).not.toMatch(/npm run|VGG19_WEIGHTS/);
      return { code: e.code, message: e.message };
    }
    throw e;
  }
  throw new Error('expected a refusal');
}

/** Serves a directory on 127.0.0.1, like a static file host. */
async function serve(dir: string): Promise<{ url: string; server: Server; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).replace(/^\/+/, '');
    hits.push(name);
    // Flat directory only: anything with a slash is not there.
    (name.includes('/') ? Promise.reject(new Error('no')) : readFile(path.join(dir, name)))
      .then((body) => res.writeHead(200, { 'content-length': body.length }).end(body))
      .catch(() => res.writeHead(404).end('not found'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, hits };
}

let reference: VggWeights;
let manifest: Manifest;
let tmp: string;

beforeAll(async () => {
  reference = await loadVggWeights(MODEL_JSON);
  manifest = JSON.parse(await readFile(MODEL_JSON, 'utf8')) as Manifest;
  tmp = await mkdtemp(path.join(os.tmpdir(), 'weights-test-'));
});

afterAll(async () => {
  reference?.dispose();
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of the shared model dir: shards as symlinks (minus `drop`), model.json as given. */
async function modelDir(name: string, opts: { json?: string; drop?: string; replace?: Record<string, Uint8Array> } = {}) {
  const dir = path.join(tmp, name);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const f of await readdir(MODEL_DIR)) {
    if (!f.endsWith('.bin') || f === opts.drop) continue;
    const replacement = opts.replace?.[f];
    if (replacement) await writeFile(path.join(dir, f), replacement);
    else await symlink(path.join(MODEL_DIR, f), path.join(dir, f));
  }
  await writeFile(path.join(dir, 'model.json'), opts.json ?? (await readFile(MODEL_JSON, 'utf8')));
  return dir;
}

/** The nearest IEEE half float's bits (round to nearest; the values above are normal or zero). */
function toHalf(v: number): number {
  if (v === 0) return 0;
  const sign = v < 0 ? 0x8000 : 0;
  const a = Math.abs(v);
  let e = Math.floor(Math.log2(a));
  if (e < -14) return sign | Math.round(a / 2 ** -24);
  let m = Math.round((a / 2 ** e - 1) * 1024);
  if (m === 1024) [e, m] = [e + 1, 0];
  return sign | ((e + 15) << 10) | m;
}

function expectSameWeights(a: VggWeights, b: VggWeights): void {
  for (const { name } of VGG19_CONV_LAYERS) {
    const x = a.layers.get(name)!;
    const y = b.layers.get(name)!;
    expect(x.kernel.shape).toEqual(y.kernel.shape);
    expect(Buffer.from(x.kernel.dataSync().buffer).equals(Buffer.from(y.kernel.dataSync().buffer))).toBe(true);
    expect(Buffer.from(x.bias.dataSync().buffer).equals(Buffer.from(y.bias.dataSync().buffer))).toBe(true);
  }
}

describe('tfjs layers model (the shared 8-bit weights)', () => {
  it('has all 16 VGG19 conv layers with the right shapes', () => {
    expect(reference.format).toBe('tfjs-layers');
    expect([...reference.layers.keys()]).toEqual(VGG19_CONV_LAYERS.map((l) => l.name));
    expect(reference.layers.get('block1_conv1')!.kernel.shape).toEqual([3, 3, 3, 64]);
    expect(reference.layers.get('block3_conv1')!.kernel.shape).toEqual([3, 3, 128, 256]);
    expect(reference.layers.get('block5_conv4')!.kernel.shape).toEqual([3, 3, 512, 512]);
    for (const { name, filters } of VGG19_CONV_LAYERS) {
      expect(reference.layers.get(name)!.kernel.shape).toEqual(expectedKernelShape(name));
      expect(reference.layers.get(name)!.bias.shape).toEqual([filters]);
      expect(reference.layers.get(name)!.kernel.dtype).toBe('float32');
    }
  });

  it('dequantises 8-bit values as q * scale + min', async () => {
    // Read the first bytes of the first shard ourselves and compare.
    const group = manifest.weightsManifest[0]!;
    const spec = group.weights[0]!;
    expect(spec.name).toBe('block1_conv1/kernel');
    const q = spec.quantization!;
    const shard = await readFile(path.join(MODEL_DIR, group.paths[0]!));
    const kernel = reference.layers.get('block1_conv1')!.kernel.dataSync();
    for (const i of [0, 1, 2, 100, 1727]) {
      expect(kernel[i]).toBeCloseTo(shard[i]! * q.scale + q.min, 5);
    }
    // Trained first-layer filters: centred near zero, spread of a few tenths, not raw bytes.
    const values = Array.from(kernel);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.min(...values)).toBeCloseTo(q.min, 3);
    expect(Math.max(...values)).toBeLessThan(1);
  });

  it("reads every value as tfjs's own decoder does (8-bit as stored; 16-bit and float16 quantisation), without tfjs", async () => {
    // The shared 8-bit model: each layer bit for bit as tf.io.decodeWeights gives it.
    const group = manifest.weightsManifest[0]!;
    const shards = await Promise.all(group.paths.map((p) => readFile(path.join(MODEL_DIR, p))));
    const bytes = Buffer.concat(shards);
    const tfjsDecoded = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), group.weights as tf.io.WeightsManifestEntry[]);
    const raw = await readVggWeights(MODEL_JSON);
    for (const [name, tensor] of Object.entries(tfjsDecoded)) {
      const [layer, part] = name.split('/') as [string, 'kernel' | 'bias'];
      expect(Buffer.from(raw.layers.get(layer)![part].values.buffer).equals(Buffer.from((tensor.dataSync() as Float32Array).buffer))).toBe(true);
    }
    tf.dispose(Object.values(tfjsDecoded));
    // 16-bit and float16 quantisation (other converters' outputs), on values of every sign and size.
    const values = Float32Array.from([0, 1, -1, 0.5, -2.75, 1e-5, -6e-5, 65504, 3.14159, -0.0999]);
    for (const quantization of [{ dtype: 'uint16', scale: 0.001, min: -3 }, { dtype: 'float16' }] as const) {
      const [spec] = (await tf.io.encodeWeights([{ name: 'block1_conv1/bias', tensor: tf.tensor1d(values) }])).specs.map((s) => ({ ...s, quantization }));
      const stored =
        quantization.dtype === 'float16'
          ? Uint16Array.from(values, toHalf)
          : Uint16Array.from(values, (v) => Math.max(0, Math.min(65535, Math.round((v - quantization.min) / quantization.scale))));
      const want = tf.io.decodeWeights(stored.buffer, [spec!])['block1_conv1/bias']!;
      expect(Buffer.from(decodeValues(new Uint8Array(stored.buffer), spec!, 'here').buffer).equals(Buffer.from((want.dataSync() as Float32Array).buffer))).toBe(true);
      want.dispose();
    }
  });

  it('loads from a directory as well as from model.json, with the same values', async () => {
    const fromDir = await loadVggWeights(MODEL_DIR);
    try {
      expect(fromDir.source).toBe(MODEL_DIR);
      expectSameWeights(fromDir, reference);
    } finally {
      fromDir.dispose();
    }
  });

  it('dispose frees every tensor it made', async () => {
    const before = tf.memory().numTensors;
    const w = await loadVggWeights(MODEL_JSON);
    expect(tf.memory().numTensors).toBe(before + 32);
    w.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads from an http URL (model.json and shards fetched relative to it)', async () => {
    const { url, server, hits } = await serve(MODEL_DIR);
    try {
      const w = await loadVggWeights(`${url}/model.json`);
      try {
        expectSameWeights(w, reference);
      } finally {
        w.dispose();
      }
      expect(hits).toContain('group1-shard20of20.bin');
      const gone = await refusal(loadVggWeights(`${url}/nothing/model.json`));
      expect(gone.code).toBe('weights-missing');
      expect(gone.message).toBe(`VGG19 weights not found at ${url}/nothing/model.json (HTTP 404).`);
    } finally {
      server.close();
    }
  });

  it('says when a URL cannot be reached at all', async () => {
    const { url, server } = await serve(MODEL_DIR);
    server.close();
    await new Promise((r) => server.once('close', r));
    const r = await refusal(loadVggWeights(`${url}/model.json`));
    expect(r.code).toBe('weights-missing');
    expect(r.message).toMatch(/could not be fetched/);
  });
});

describe('missing and damaged weights', () => {
  it('reports a missing path as missing, in its own words (the app adds the fix by the code)', async () => {
    const r = await refusal(loadVggWeights(path.join(tmp, 'no-such-dir')));
    expect(r.code).toBe('weights-missing');
    expect(r.message).toBe(`VGG19 weights not found at ${path.join(tmp, 'no-such-dir')}.`);
  });

  it('reports a directory with neither model.json nor .h5 as missing', async () => {
    const dir = path.join(tmp, 'empty-dir');
    await mkdir(dir, { recursive: true });
    const r = await refusal(loadVggWeights(dir));
    expect(r.code).toBe('weights-missing');
    expect(r.message).toMatch(/no model\.json/);
  });

  it('rejects a model.json that is not JSON', async () => {
    const dir = await modelDir('bad-json', { json: '{"weightsManifest": [' });
    const r = await refusal(loadVggWeights(dir));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toMatch(/not valid JSON.*Download them again/);
  });

  it('rejects a model with a missing shard, naming it', async () => {
    const dir = await modelDir('no-shard', { drop: 'group1-shard7of20.bin' });
    const r = await refusal(loadVggWeights(dir));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toContain('group1-shard7of20.bin');
  });

  it('rejects a truncated shard', async () => {
    const last = await readFile(path.join(MODEL_DIR, 'group1-shard20of20.bin'));
    const dir = await modelDir('short-shard', { replace: { 'group1-shard20of20.bin': last.subarray(0, 1000) } });
    const r = await refusal(loadVggWeights(path.join(dir, 'model.json')));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toMatch(/bytes but model\.json describes/);
  });

  it('rejects weights whose shapes are not VGG19 (same byte count, wrong shape)', async () => {
    const json = structuredClone(manifest);
    json.weightsManifest[0]!.weights[0]!.shape = [3, 3, 64, 3];
    const dir = await modelDir('wrong-shape', { json: JSON.stringify(json) });
    const r = await refusal(loadVggWeights(dir));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toContain('block1_conv1 kernel of shape [3, 3, 64, 3], expected [3, 3, 3, 64]');
  });

  it('rejects a model that lacks a layer', async () => {
    const json = structuredClone(manifest);
    for (const g of json.weightsManifest) {
      for (const w of g.weights) w.name = w.name.replace('block5_conv4', 'block5_convX');
    }
    const dir = await modelDir('no-layer', { json: JSON.stringify(json) });
    const r = await refusal(loadVggWeights(dir));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toMatch(/no block5_conv4 layer/);
  });
});

/**
 * Writes the reference weights in the Keras HDF5 layout: root attribute `layer_names`, one group
 * per layer with `weight_names`, datasets named as the given style does.
 */
async function writeKerasH5(file: string, style: 'keras1' | 'keras2', only?: string[]): Promise<void> {
  await h5wasm.ready;
  const f = new h5wasm.File(file, 'w');
  try {
    const layers = VGG19_CONV_LAYERS.map((l) => l.name).filter((n) => !only || only.includes(n));
    const root = style === 'keras2' ? f.create_group('model_weights') : f;
    root.create_attribute('layer_names', ['input_1', ...layers]);
    for (const name of layers) {
      const g = root.create_group(name);
      const { kernel, bias } = reference.layers.get(name)!;
      if (style === 'keras1') {
        g.create_attribute('weight_names', [`${name}_W_1:0`, `${name}_b_1:0`]);
        g.create_dataset({ name: `${name}_W_1:0`, data: kernel.dataSync() as Float32Array, shape: kernel.shape, dtype: '<f' });
        g.create_dataset({ name: `${name}_b_1:0`, data: bias.dataSync() as Float32Array, shape: bias.shape, dtype: '<f' });
      } else {
        g.create_attribute('weight_names', [`${name}/kernel:0`, `${name}/bias:0`]);
        const inner = g.create_group(name);
        inner.create_dataset({ name: 'kernel:0', data: kernel.dataSync() as Float32Array, shape: kernel.shape, dtype: '<f' });
        inner.create_dataset({ name: 'bias:0', data: bias.dataSync() as Float32Array, shape: bias.shape, dtype: '<f' });
      }
    }
  } finally {
    f.close();
  }
}

describe('Keras HDF5 weights', () => {
  it('reads the official notop layout (block1_conv1/block1_conv1_W_1:0) with equal values', async () => {
    const file = path.join(tmp, 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5');
    await writeKerasH5(file, 'keras1');
    const w = await loadVggWeights(file);
    try {
      expect(w.format).toBe('keras-h5');
      expectSameWeights(w, reference);
    } finally {
      w.dispose();
    }
  });

  it('reads newer kernel:0/bias:0 saves under model_weights, found by content and from a directory', async () => {
    const dir = path.join(tmp, 'h5dir');
    await mkdir(dir, { recursive: true });
    // No .h5 name on the file: the reader goes by the HDF5 signature.
    const file = path.join(dir, 'weights.h5');
    await writeKerasH5(file, 'keras2');
    const renamed = path.join(tmp, 'weights.bin');
    await copyFile(file, renamed);
    for (const source of [dir, renamed]) {
      const w = await loadVggWeights(source);
      try {
        expect(w.format).toBe('keras-h5');
        expectSameWeights(w, reference);
      } finally {
        w.dispose();
      }
    }
  });

  it('loads an .h5 from an http URL', async () => {
    const file = path.join(tmp, 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5');
    if (!(await stat(file).catch(() => undefined))) await writeKerasH5(file, 'keras1');
    const { url, server } = await serve(tmp);
    try {
      const w = await loadVggWeights(`${url}/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5`);
      try {
        expectSameWeights(w, reference);
      } finally {
        w.dispose();
      }
    } finally {
      server.close();
    }
  });

  it('rejects a truncated .h5 (an interrupted download) with the fix', async () => {
    const full = path.join(tmp, 'full.h5');
    await writeKerasH5(full, 'keras1', ['block1_conv1', 'block1_conv2']);
    const bytes = await readFile(full);
    const cut = path.join(tmp, 'cut.h5');
    await writeFile(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const r = await refusal(loadVggWeights(cut));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toMatch(/is damaged: it is cut off \(\d+ bytes of \d+\)\. Download it again/);
  });

  it('rejects a file that starts like HDF5 but is garbage', async () => {
    const junk = path.join(tmp, 'junk.h5');
    const bytes = new Uint8Array(4096).map((_, i) => (i * 37) % 251);
    bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 0);
    await writeFile(junk, bytes);
    const r = await refusal(loadVggWeights(junk));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toMatch(/junk\.h5 is damaged/);
  });

  it('rejects an .h5 without all VGG19 layers (e.g. a different network)', async () => {
    const partial = path.join(tmp, 'partial.h5');
    await writeKerasH5(partial, 'keras1', ['block1_conv1', 'block1_conv2']);
    const r = await refusal(loadVggWeights(partial));
    expect(r.code).toBe('weights-corrupt');
    expect(r.message).toMatch(/no block2_conv1 layer/);
  });
});
