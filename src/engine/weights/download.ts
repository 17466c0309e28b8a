import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { redactUrl, redactUrlsIn } from '../../util/redact.js';
import { formatBytes } from '../../util/units.js';
import { StylizeError } from '../errors.js';
import { checkCacheReadable, makeDirectory, prepareCacheDir } from './cache-dir.js';

/** The official Keras Applications VGG19 (no top) weights; Keras publishes this md5 as file_hash. */
export const OFFICIAL_VGG19_H5 = {
  url: 'https://storage.googleapis.com/tensorflow/keras-applications/vgg19/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
  fileName: 'vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5',
  md5: '253f8cb515780f3b799900260a226db6',
  bytes: 80_134_624,
} as const;

export interface DownloadOptions {
  url?: string;
  /** Expected md5 (hex); the file is refused and deleted when it differs. */
  md5?: string;
  fetch?: typeof fetch;
  /** Called as bytes arrive; `total` is undefined when the server sends no length. */
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/** Hex digest of a file, read as a stream (weights files are tens of MB). */
export async function hashFile(file: string, algorithm: 'md5' | 'sha256'): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Downloads `url` to `dest` atomically: bytes go to a temp file beside it, the md5 is checked,
 * then the temp file is renamed into place. On any failure no file is left at `dest` or beside it.
 */
export async function downloadWeights(dest: string, opts: DownloadOptions = {}): Promise<string> {
  const url = opts.url ?? OFFICIAL_VGG19_H5.url;
  const expected = (opts.md5 ?? (opts.url === undefined ? OFFICIAL_VGG19_H5.md5 : undefined))?.toLowerCase();
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  await makeDirectory(path.dirname(path.resolve(dest)));
  const temp = `${dest}.${process.pid}.${Date.now()}.part`;
  const fix = 'Check the network (or proxy) and download them again.';
  const from = redactUrl(url);
  try {
    let res: Response;
    try {
      res = await fetchImpl(url, { signal: opts.signal });
    } catch (e) {
      throw new StylizeError('weights-missing', `Could not download the VGG19 weights from ${from}: ${redactUrlsIn((e as Error).message)}. ${fix}`, { cause: e });
    }
    if (!res.ok || !res.body) {
      throw new StylizeError(
        'weights-missing',
        `Could not download the VGG19 weights from ${from}: the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}. ${fix}`,
      );
    }
    const lengthHeader = Number(res.headers.get('content-length'));
    const total = Number.isFinite(lengthHeader) && lengthHeader > 0 ? lengthHeader : undefined;
    const hash = createHash('md5');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        hash.update(chunk);
        opts.onProgress?.(received, total);
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), meter, createWriteStream(temp));
    } catch (e) {
      throw new StylizeError(
        'weights-missing',
        `The VGG19 weights download from ${from} broke off after ${received} bytes (${redactUrlsIn((e as Error).message)}). ${fix}`,
        { cause: e },
      );
    }
    if (total !== undefined && received !== total) {
      throw new StylizeError('weights-corrupt', `The VGG19 weights download from ${from} is incomplete (${received} of ${total} bytes). ${fix}`);
    }
    const actual = hash.digest('hex');
    if (expected !== undefined && actual !== expected) {
      throw new StylizeError(
        'weights-corrupt',
        `The file downloaded from ${from} has checksum md5 ${actual}, expected ${expected}, so it was deleted. Download it again; if it keeps failing, the URL serves a different file.`,
      );
    }
    await rename(temp, dest);
    return dest;
  } finally {
    await rm(temp, { force: true });
  }
}

export interface EnsureWeightsConfig {
  /** When set, used as is (model.json, directory, URL or .h5); nothing is downloaded. */
  VGG19_WEIGHTS?: string | undefined;
  /** Where the official .h5 is kept. Default `.cache/weights`. */
  WEIGHTS_CACHE_DIR?: string | undefined;
}

/**
 * The weights source to load: VGG19_WEIGHTS when configured, else the cached official .h5,
 * downloaded (and checked) first when it is missing or damaged.
 */
export async function ensureWeights(
  config: EnsureWeightsConfig,
  opts: DownloadOptions & { fileName?: string; log?: (message: string) => void } = {},
): Promise<string> {
  if (config.VGG19_WEIGHTS) return config.VGG19_WEIGHTS;
  const dir = config.WEIGHTS_CACHE_DIR ?? '.cache/weights';
  const dest = path.resolve(dir, opts.fileName ?? OFFICIAL_VGG19_H5.fileName);
  const expected = (opts.md5 ?? (opts.url === undefined ? OFFICIAL_VGG19_H5.md5 : undefined))?.toLowerCase();
  // A read-only cache holding good weights is fine; one that cannot be read, or written when a
  // download is due, ends start-up here in one sentence.
  await checkCacheReadable(dir);
  const cached = await isFile(dest);
  if (cached && (expected === undefined || (await hashFile(dest, 'md5')) === expected)) return dest;
  await prepareCacheDir(dir);
  if (cached) {
    opts.log?.(`The cached VGG19 weights at ${dest} fail their checksum; downloading them again.`);
    await rm(dest, { force: true });
  } else {
    opts.log?.(`Downloading the VGG19 weights (${formatBytes(OFFICIAL_VGG19_H5.bytes)}) to ${dest}.`);
  }
  return downloadWeights(dest, opts);
}
