import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStylizeError, type StylizeErrorCode } from '../../src/engine/errors.js';
import { childProcesses } from '../../src/util/process-tree.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The shared checkout sits beside the project (CI lays it there); SHARED_DIR overrides. */
export const SHARED_DIR = process.env.SHARED_DIR ?? path.resolve(root, '..', 'shared');

/** Tests take the weights from configuration, falling back to the shared 8-bit copy. */
export const WEIGHTS = process.env.VGG19_WEIGHTS ?? path.join(SHARED_DIR, 'models', 'vgg19-notop-uint8', 'model.json');

export const IMAGES_DIR = path.join(SHARED_DIR, 'images');

export function image(name: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(IMAGES_DIR, name)));
}

/** The engine's refusal (code and user sentence) from a promise that should reject with one. */
export async function refusal(p: Promise<unknown>): Promise<{ code: StylizeErrorCode; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isStylizeError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a refusal');
}

/** Polls `check` until it holds; throws, naming `what`, once `timeoutMs` has passed. */
export async function until(what: string, check: () => boolean, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** This process's onnx session processes (the runtime's children, seen in /proc). */
export const sessionProcesses = () => childProcesses().filter((c) => c.command.includes('session-process'));

/** Mean absolute difference per channel value (0..255) between two pictures, at the first one's size. */
export async function meanDifference(a: Uint8Array, b: Uint8Array): Promise<number> {
  const { default: sharp } = await import('sharp');
  const { width, height } = await sharp(a).metadata();
  const raw = (bytes: Uint8Array) => sharp(bytes).resize(width, height, { fit: 'fill' }).removeAlpha().raw().toBuffer();
  const [x, y] = await Promise.all([raw(a), raw(b)]);
  let sum = 0;
  for (let k = 0; k < x.length; k++) sum += Math.abs(x[k]! - y[k]!);
  return sum / x.length;
}
