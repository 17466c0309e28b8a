import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { redactUrl, redactUrlsIn } from '../../util/redact.js';
import { StylizeError } from '../errors.js';
import type { RawConv } from './vgg-layers.js';

const FIX = 'Download them again, or use a complete copy.';

/** Reads one shard given its path relative to model.json. */
export type ShardReader = (relativePath: string) => Promise<Uint8Array>;

interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number };
}
interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, int8: 1, uint16: 2, int16: 2, float16: 2, bool: 1 };

function corrupt(where: string, what: string, cause?: unknown): StylizeError {
  return new StylizeError('weights-corrupt', `The VGG19 weights at ${redactUrl(where)} are damaged: ${redactUrlsIn(what)}. ${FIX}`, { cause });
}

function parseManifest(jsonText: string, where: string): ManifestGroup[] {
  let json: unknown;
  try {
    json = JSON.parse(jsonText);
  } catch (e) {
    throw corrupt(where, 'model.json is not valid JSON', e);
  }
  const manifest = (json as { weightsManifest?: unknown } | null)?.weightsManifest;
  if (!Array.isArray(manifest) || manifest.length === 0) {
    throw corrupt(where, 'model.json has no weightsManifest (it is not a TensorFlow.js layers model)');
  }
  for (const group of manifest as ManifestGroup[]) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group?.weights)) {
      throw corrupt(where, 'a weightsManifest group lacks its paths or weights');
    }
    for (const w of group.weights) {
      if (typeof w?.name !== 'string' || !Array.isArray(w.shape) || BYTES[w.quantization?.dtype ?? w.dtype] === undefined) {
        throw corrupt(where, `the manifest entry ${JSON.stringify(w?.name ?? w)} is malformed`);
      }
    }
  }
  return manifest as ManifestGroup[];
}

/** Maps a tfjs weight name like `block1_conv1/kernel` (maybe prefixed, maybe `:0`) to layer + part. */
export function parseWeightName(name: string): { layer: string; part: 'kernel' | 'bias' } | undefined {
  const m = /(block\d_conv\d)\/(kernel|bias)(?::\d+)?$/.exec(name);
  return m ? { layer: m[1]!, part: m[2] as 'kernel' | 'bias' } : undefined;
}

/**
 * Decodes a tfjs layers model's weights (quantised ones dequantised by tfjs's own decoder) into
 * plain float32 arrays keyed by VGG layer name.
 */
export async function readLayersModel(jsonText: string, where: string, readShard: ShardReader): Promise<Map<string, RawConv>> {
  const groups = parseManifest(jsonText, where);
  const raw = new Map<string, Partial<RawConv>>();
  for (const group of groups) {
    // Only read groups that hold conv weights we use.
    if (!group.weights.some((w) => parseWeightName(w.name))) continue;
    const shards: Uint8Array[] = [];
    for (const p of group.paths) {
      try {
        shards.push(await readShard(p));
      } catch (e) {
        if (e instanceof StylizeError) throw e;
        throw corrupt(where, `the shard ${p} named in model.json cannot be read (${(e as Error).message})`, e);
      }
    }
    const total = shards.reduce((n, s) => n + s.byteLength, 0);
    const expected = group.weights.reduce(
      (n, w) => n + w.shape.reduce((a, b) => a * b, 1) * BYTES[w.quantization?.dtype ?? w.dtype]!,
      0,
    );
    if (total !== expected) {
      throw corrupt(where, `the shards ${group.paths[0]}.. hold ${total} bytes but model.json describes ${expected}`);
    }
    const buffer = new Uint8Array(total);
    let offset = 0;
    for (const s of shards) {
      buffer.set(s, offset);
      offset += s.byteLength;
    }
    const decoded = tf.io.decodeWeights(buffer.buffer, group.weights as tf.io.WeightsManifestEntry[]);
    try {
      for (const [name, tensor] of Object.entries(decoded)) {
        const parsed = parseWeightName(name);
        if (!parsed) continue;
        const entry = raw.get(parsed.layer) ?? {};
        entry[parsed.part] = { shape: tensor.shape.slice(), values: Float32Array.from(tensor.dataSync() as ArrayLike<number>) };
        raw.set(parsed.layer, entry);
      }
    } finally {
      tf.dispose(Object.values(decoded));
    }
  }
  const complete = new Map<string, RawConv>();
  for (const [layer, entry] of raw) {
    if (entry.kernel && entry.bias) complete.set(layer, { kernel: entry.kernel, bias: entry.bias });
  }
  return complete;
}

export async function readLayersModelFile(modelJsonPath: string): Promise<Map<string, RawConv>> {
  const text = await readFile(modelJsonPath, 'utf8');
  const dir = path.dirname(modelJsonPath);
  return readLayersModel(text, modelJsonPath, async (p) => {
    const resolved = path.resolve(dir, p);
    if (!resolved.startsWith(path.resolve(dir) + path.sep)) throw new Error('path leaves the model directory');
    return new Uint8Array(await readFile(resolved));
  });
}

export async function readLayersModelUrl(url: string, fetchImpl: typeof fetch): Promise<Map<string, RawConv>> {
  const res = await fetchImpl(url);
  if (res.status === 404) {
    throw new StylizeError(
      'weights-missing',
      `VGG19 weights not found at ${redactUrl(url)} (HTTP 404).`,
    );
  }
  if (!res.ok) throw corrupt(url, `the server answered HTTP ${res.status} for model.json`);
  const text = await res.text();
  return readLayersModel(text, url, async (p) => {
    const shardUrl = new URL(p, url).toString();
    const r = await fetchImpl(shardUrl);
    if (!r.ok) throw new Error(`HTTP ${r.status} for ${redactUrl(shardUrl)}`);
    return new Uint8Array(await r.arrayBuffer());
  });
}
