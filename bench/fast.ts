/**
 * `npm run bench -- --fast`: the fast network's parts on their own (in this process, with the
 * engine's thread count, as the onnx session process runs them): predictor ms, transfer ms at
 * 512 and 1024 px (square), medians of `runs` after one warm-up run each.
 */
import { fastModelFiles } from '../src/engine/fast/models.js';
import { loadFastNetwork } from '../src/engine/fast/network.js';
import { STYLE_SIDE, VECTOR_LENGTH } from '../src/engine/fast/onnx-graphs.js';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** A smooth test card: the network's time does not depend on the pixels. */
function card(side: number): Float32Array {
  return Float32Array.from({ length: side * side * 3 }, (_, i) => 0.5 + 0.4 * Math.sin(i / 997));
}

export async function fastTimes(modelsDir: string, threads: number, runs: number): Promise<{ predictorMs: number; transferMs: Record<number, number> }> {
  const net = await loadFastNetwork(fastModelFiles(modelsDir), { threads });
  try {
    const predictorMs = await timed(runs, () => net.predict(card(STYLE_SIDE)));
    const vector = new Float32Array(VECTOR_LENGTH).fill(0.3);
    const transferMs: Record<number, number> = {};
    for (const side of [512, 1024]) transferMs[side] = await timed(runs, () => net.transfer({ data: card(side), width: side, height: side }, vector));
    return { predictorMs, transferMs };
  } finally {
    net.dispose();
  }
}
