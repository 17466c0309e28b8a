/**
 * The engine says what is wrong with the weights; the entry points add the operator's fix. Here the
 * way `npm start` and `npm run worker` get it: a real engine worker that cannot load its weights.
 */
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { weightsFix, withWeightsFix } from '../src/cli/weights-fix.js';
import { StylizeError } from '../src/engine/errors.js';
import { createInProcessQueue } from '../src/queue/index.js';

describe('the operator fix for weights', () => {
  it('comes with the failure of an engine worker that finds no weights, not with the engine sentence', async () => {
    const where = path.join(os.tmpdir(), `no-weights-${process.pid}`);
    const queue = createInProcessQueue({ engine: { weights: where }, progressIntervalMs: 0 });
    try {
      const e = await queue.ready().then(
        () => {
          throw new Error('the engine loaded weights that are not there');
        },
        (err: unknown) => err as Error,
      );
      expect(e.message).toBe(`VGG19 weights not found at ${where}.`);
      expect(withWeightsFix(e)).toBe(
        `VGG19 weights not found at ${where}. Fix: run \`npm run fetch-weights\` (it downloads the official VGG19 weights), or set VGG19_WEIGHTS to a model.json, directory, URL or .h5 file.`,
      );
    } finally {
      await queue.shutdown({ graceMs: 0 });
    }
  });

  it('is added only to weights errors', () => {
    expect(weightsFix(new StylizeError('weights-corrupt', 'The VGG19 weights file w.h5 is empty; download it again.'))).toMatch(/^Fix: run `npm run fetch-weights`/);
    const other = new StylizeError('corrupt-image', 'The content image is damaged.');
    expect(withWeightsFix(other)).toBe('The content image is damaged.');
    expect(withWeightsFix(new Error('EADDRINUSE'))).toBe('EADDRINUSE');
  });
});
