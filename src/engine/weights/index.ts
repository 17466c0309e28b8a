/**
 * VGG19 weights, from whichever form the operator has, as the same 16 conv layers.
 *
 * API (stable; other modules build on it):
 * - `readVggWeights(source, { fetch? }) -> Promise<RawVggWeights>`; `source` is a `model.json` path,
 *   a directory holding one (or one `.h5`), an http(s) URL of a model.json (or of an `.h5`), or a
 *   Keras `.h5` file (detected by content, not name).
 * - `RawVggWeights.layers`: `block1_conv1`..`block5_conv4` → `{ kernel: [3,3,in,out], bias: [out] }`,
 *   float32 arrays, dequantised; plain memory, no runtime (tfjs/weights.ts makes tensors of them).
 * - Errors: `StylizeError('weights-missing')` when nothing is at the source,
 *   `StylizeError('weights-corrupt')` for bad JSON, missing/short shards, wrong shapes, broken HDF5.
 * - `ensureWeights` / `downloadWeights` (download.ts) fetch the official Keras `.h5` into a cache.
 */
import { mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { redactUrl, redactUrlsIn } from '../../util/redact.js';
import { StylizeError } from '../errors.js';
import { isHdf5, readKerasH5 } from './keras-h5.js';
import { readLayersModelFile, readLayersModelUrl } from './tfjs-layers.js';
import { checkVggShapes, type RawConv } from './vgg-layers.js';

export type { RawConv } from './vgg-layers.js';
export { ensureWeights, downloadWeights, OFFICIAL_VGG19_H5, type EnsureWeightsConfig, type DownloadOptions } from './download.js';

export type WeightsFormat = 'tfjs-layers' | 'keras-h5';

export interface LoadWeightsOptions {
  /** For URL sources; defaults to the global fetch. */
  fetch?: typeof fetch;
}

function missing(source: string, detail = ''): StylizeError {
  return new StylizeError(
    'weights-missing',
    `VGG19 weights not found at ${redactUrl(source)}${detail}.`,
  );
}

async function readHead(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = new Uint8Array(2056);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

async function readLocal(source: string): Promise<{ raw: Map<string, RawConv>; format: WeightsFormat }> {
  let file = source;
  let info;
  try {
    info = await stat(source);
  } catch {
    throw missing(source);
  }
  if (info.isDirectory()) {
    const entries = await readdir(source);
    const h5 = entries.filter((e) => e.toLowerCase().endsWith('.h5'));
    if (entries.includes('model.json')) file = path.join(source, 'model.json');
    else if (h5.length > 0) file = path.join(source, h5.find((e) => /vgg19.*notop/i.test(e)) ?? h5[0]!);
    else throw missing(source, ' (the directory has no model.json and no .h5 file)');
  }
  if ((await stat(file)).size === 0) {
    throw new StylizeError('weights-corrupt', `The VGG19 weights file ${file} is empty; download it again.`);
  }
  if (isHdf5(await readHead(file))) return { raw: await readKerasH5(file), format: 'keras-h5' };
  return { raw: await readLayersModelFile(file), format: 'tfjs-layers' };
}

async function readUrl(url: string, fetchImpl: typeof fetch): Promise<{ raw: Map<string, RawConv>; format: WeightsFormat }> {
  if (!new URL(url).pathname.toLowerCase().endsWith('.h5')) {
    return { raw: await readLayersModelUrl(url, fetchImpl), format: 'tfjs-layers' };
  }
  // h5wasm reads from the file system, so a remote .h5 is staged in a private temp directory.
  const res = await fetchImpl(url);
  if (res.status === 404) throw missing(url, ' (HTTP 404)');
  if (!res.ok) throw new StylizeError('weights-corrupt', `The server at ${redactUrl(url)} answered HTTP ${res.status} for the VGG19 weights; check the URL.`);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vgg19-'));
  try {
    const file = path.join(dir, 'weights.h5');
    await writeFile(file, new Uint8Array(await res.arrayBuffer()));
    if (!isHdf5(await readHead(file))) {
      throw new StylizeError('weights-corrupt', `The file at ${redactUrl(url)} is not an HDF5 (.h5) file, so it is not the Keras VGG19 weights.`);
    }
    return { raw: await readKerasH5(file), format: 'keras-h5' };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The 16 conv layers as plain float32 arrays (what the ONNX runtime builds its graphs from). */
export interface RawVggWeights {
  source: string;
  format: WeightsFormat;
  layers: Map<string, RawConv>;
}

/** Reads and checks all 16 VGG19 conv layers from a tfjs layers model or a Keras HDF5 file. */
export async function readVggWeights(source: string, opts: LoadWeightsOptions = {}): Promise<RawVggWeights> {
  const isUrl = /^https?:\/\//i.test(source);
  let read;
  if (isUrl) {
    const fetchImpl = opts.fetch ?? globalThis.fetch;
    try {
      read = await readUrl(source, fetchImpl);
    } catch (e) {
      if (e instanceof StylizeError) throw e;
      throw new StylizeError(
        'weights-missing',
        `VGG19 weights could not be fetched from ${redactUrl(source)} (${redactUrlsIn((e as Error).message)}); check the URL and the network.`,
        { cause: e },
      );
    }
  } else {
    read = await readLocal(source);
  }
  checkVggShapes(read.raw, redactUrl(source));
  return { source, format: read.format, layers: read.raw };
}
