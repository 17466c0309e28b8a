/**
 * The engine's start picture (request.initImage), what HD paints from: the painting starts from
 * it instead of the photo, on onnx and on a tfjs backend alike, and a start picture that is not
 * a picture is refused like any input.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { image, refusal, WEIGHTS } from '../support/fixtures.js';
import { decoded } from './support/picture-metrics.js';
import { composition } from './support/quality-measures.js';

/** One engine per backend for the file: the refusal below uses the onnx one too. */
const engines = new Map<'onnx' | 'wasm', Promise<Engine>>();
const engineOn = (backend: 'onnx' | 'wasm') => {
  if (!engines.has(backend)) engines.set(backend, createEngine({ weights: WEIGHTS, backend, maxSize: 128 }));
  return engines.get(backend)!;
};
afterAll(async () => (await Promise.all(engines.values())).forEach((e) => e.dispose()));

describe.each(['onnx', 'wasm'] as const)('start picture on %s', (backend) => {
  it(`iterate: a painting started from another picture keeps that picture's layout (${backend})`, async () => {
    const engine = await engineOn(backend);
    // A start picture with a layout of its own (the statue), painted with few steps over the bridge
    // photo; 32 px is enough for a layout (the measure compares luminance at 64 px).
    const start = image('statue_of_liberty.jpg');
    const request = { content: image('golden_gate.jpg'), styles: [{ bytes: image('udnie.jpg') }], options: { size: 32, iterations: backend === 'wasm' ? 4 : 8, seed: 1 } };
    const fromStart = await decoded((await engine.stylize({ ...request, initImage: start })).image);
    const fromPhoto = await decoded((await engine.stylize(request)).image);
    const startPicture = await decoded(start);
    const photo = await decoded(request.content);
    expect(await composition(fromStart, startPicture)).toBeGreaterThan(await composition(fromPhoto, startPicture));
    expect(await composition(fromPhoto, photo)).toBeGreaterThan(await composition(fromStart, photo));
  }, 400_000);
});

it('iterate: a start picture that is not a picture is refused with a sentence that names it', async () => {
  const engine = await engineOn('onnx');
  const bad = await refusal(engine.stylize({ content: image('golden_gate.jpg'), styles: [{ bytes: image('udnie.jpg') }], initImage: new TextEncoder().encode('not a picture'), options: { size: 64 } }));
  expect(bad.code).toBe('unsupported-image');
  expect(bad.message).toMatch(/start picture/);
});
