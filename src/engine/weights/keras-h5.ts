import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Dataset, Group } from 'h5wasm';
import { StylizeError } from '../errors.js';
import { VGG19_CONV_LAYERS } from '../layers.js';
import type { RawConv } from './vgg-layers.js';

const FIX = 'Download it again (a partial download is the usual cause).';

/** HDF5's signature; it may also sit after a user block at 512, 1024, 2048.. bytes. */
const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

export function isHdf5(head: Uint8Array): boolean {
  for (const offset of [0, 512, 1024, 2048]) {
    if (head.length >= offset + 8 && HDF5_SIGNATURE.every((b, i) => head[offset + i] === b)) return true;
  }
  return false;
}

/**
 * The end-of-file address the HDF5 superblock records (relative to the base address), or
 * undefined when the superblock is not one we know. Lets a cut-off download be named as such
 * before the HDF5 library is asked to open it (it prints a long error trace to stderr).
 */
export function hdf5StoredEof(head: Uint8Array): { signatureAt: number; eof: bigint } | undefined {
  const at = [0, 512, 1024, 2048].find(
    (offset) => head.length >= offset + 8 && HDF5_SIGNATURE.every((b, i) => head[offset + i] === b),
  );
  if (at === undefined) return undefined;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const version = head[at + 8];
  let sizeOfOffsets: number | undefined;
  let addresses: number;
  if (version === 0 || version === 1) {
    sizeOfOffsets = head[at + 13];
    addresses = at + (version === 0 ? 24 : 28);
  } else if (version === 2 || version === 3) {
    sizeOfOffsets = head[at + 9];
    addresses = at + 12;
  } else {
    return undefined;
  }
  if (sizeOfOffsets !== 8 && sizeOfOffsets !== 4) return undefined;
  // Base address, then (free space | extension) address, then the end-of-file address.
  const eofAt = addresses + 2 * sizeOfOffsets;
  if (head.length < eofAt + sizeOfOffsets) return undefined;
  const eof = sizeOfOffsets === 8 ? view.getBigUint64(eofAt, true) : BigInt(view.getUint32(eofAt, true));
  return { signatureAt: at, eof };
}

function corrupt(where: string, what: string, cause?: unknown): StylizeError {
  return new StylizeError('weights-corrupt', `The VGG19 weights file ${where} is damaged: ${what}. ${FIX}`, { cause });
}

type H5wasm = typeof import('h5wasm/node').default;
/** Loaded on first use: importing h5wasm takes ~2.5 s on 2 cores, and most engines never read an .h5. */
let h5wasm: H5wasm;

function isGroup(e: unknown): e is Group {
  return e instanceof h5wasm.Group;
}
function isDataset(e: unknown): e is Dataset {
  return e instanceof h5wasm.Dataset;
}

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => (v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)));
  if (typeof value === 'string') return [value];
  return [];
}

function attrStrings(node: Group, name: string): string[] {
  if (!Object.prototype.hasOwnProperty.call(node.attrs, name)) return [];
  return stringList(node.get_attribute(name, true));
}

/** Every dataset under a group, depth first (Keras nests them one or two levels down). */
function datasetsUnder(group: Group): Dataset[] {
  const out: Dataset[] = [];
  for (const key of group.keys()) {
    const child = group.get(key);
    if (isDataset(child)) out.push(child);
    else if (isGroup(child)) out.push(...datasetsUnder(child));
  }
  return out;
}

function readFloat32(ds: Dataset, where: string): { shape: number[]; values: Float32Array } {
  const shape = ds.shape ?? [];
  const value = ds.value;
  if (value instanceof Float32Array) return { shape, values: value };
  if (value instanceof Float64Array) return { shape, values: Float32Array.from(value) };
  throw corrupt(where, `${ds.path} is not a float dataset`);
}

/** The layer's kernel (rank 4) and bias (rank 1), by `weight_names` when the file has them. */
function readLayer(group: Group, where: string): RawConv | undefined {
  const named = attrStrings(group, 'weight_names')
    .map((n) => group.get(n))
    .filter(isDataset);
  const candidates = named.length > 0 ? named : datasetsUnder(group);
  const kernel = candidates.find((d) => d.shape?.length === 4);
  const bias = candidates.find((d) => d.shape?.length === 1);
  if (!kernel || !bias) return undefined;
  return { kernel: readFloat32(kernel, where), bias: readFloat32(bias, where) };
}

/**
 * Reads VGG19 conv weights from a Keras HDF5 file: the official `..._notop.h5` layout
 * (`block1_conv1/block1_conv1_W_1:0`), newer `kernel:0`/`bias:0` saves, and whole-model saves
 * with a `model_weights` group.
 */
export async function readKerasH5(file: string): Promise<Map<string, RawConv>> {
  const where = file;
  const fh = await open(file, 'r');
  try {
    const head = new Uint8Array(4096);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const stored = hdf5StoredEof(head.subarray(0, bytesRead));
    const size = BigInt((await fh.stat()).size);
    if (stored && size < stored.eof + BigInt(stored.signatureAt)) {
      throw corrupt(where, `it is cut off (${size} bytes of ${stored.eof + BigInt(stored.signatureAt)})`);
    }
  } finally {
    await fh.close();
  }
  h5wasm ??= (await import('h5wasm/node')).default;
  await h5wasm.ready;
  let f: InstanceType<typeof h5wasm.File>;
  try {
    f = new h5wasm.File(path.resolve(file), 'r');
  } catch (e) {
    throw corrupt(where, 'it is not a readable HDF5 file', e);
  }
  // h5wasm reports a failed open (bad superblock, truncated file) as a negative id, not a throw.
  if (f.file_id < 0n) {
    throw corrupt(where, 'it is not a readable HDF5 file (truncated or not HDF5)');
  }
  try {
    const modelWeights = f.keys().includes('model_weights') ? f.get('model_weights') : f;
    const root = isGroup(modelWeights) ? modelWeights : f;
    const listed = new Set(attrStrings(root, 'layer_names'));
    const raw = new Map<string, RawConv>();
    for (const { name } of VGG19_CONV_LAYERS) {
      if (listed.size > 0 && !listed.has(name)) continue;
      let node: unknown;
      try {
        node = root.get(name);
      } catch (e) {
        throw corrupt(where, `the group ${name} cannot be read`, e);
      }
      if (!isGroup(node)) continue;
      let layer: RawConv | undefined;
      try {
        layer = readLayer(node, where);
      } catch (e) {
        if (e instanceof StylizeError) throw e;
        throw corrupt(where, `the data of ${name} cannot be read`, e);
      }
      if (layer) raw.set(name, layer);
    }
    return raw;
  } finally {
    f.close();
  }
}
