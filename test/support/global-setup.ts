import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Tests need real VGG19 weights. Order: VGG19_WEIGHTS; the shared 8-bit copy beside the checkout
 * (what CI uses); otherwise the official file, downloaded once into the cache as `npm start` does,
 * so `npm ci && npm test` works on a fresh machine with internet.
 */
export default async function setup(): Promise<void> {
  if (process.env.VGG19_WEIGHTS) return;
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  const shared = path.join(process.env.SHARED_DIR ?? path.resolve(root, '..', 'shared'), 'models', 'vgg19-notop-uint8', 'model.json');
  if (existsSync(shared)) {
    process.env.VGG19_WEIGHTS = shared;
    return;
  }
  const { ensureWeights } = await import('../../src/engine/weights/index.js');
  process.env.VGG19_WEIGHTS = await ensureWeights(
    { WEIGHTS_CACHE_DIR: process.env.WEIGHTS_CACHE_DIR ?? path.join(root, '.cache', 'weights') },
    { log: (m) => console.log(m) },
  );
}
