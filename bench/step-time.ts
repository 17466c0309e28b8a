/**
 * One painting step's time: a one-scale job of `count + 1` evaluations at `size`, timed between
 * the ends of its steps from the second on (the first pays for warm-up and first-time kernel setup).
 */
import type { Engine, StylizeRequest } from '../src/engine/index.js';

export async function msPerEvaluation(engine: Engine, request: StylizeRequest, size: number, count: number): Promise<{ ms: number; width: number; height: number }> {
  // When each step ended: the first event that carries its number (events also come from inside steps).
  const ended = new Map<number, number>();
  let dims = { width: 0, height: 0 };
  await engine.stylize(
    { ...request, options: { ...request.options, size, scales: [{ size, iterations: count + 1 }] } },
    {
      progressIntervalMs: 0,
      onProgress(e) {
        if (!ended.has(e.step)) ended.set(e.step, performance.now());
        dims = { width: e.width, height: e.height };
      },
    },
  );
  // Steps count evaluations (a line-search retry skips a number).
  const marks = [...ended.entries()].filter(([k]) => k >= 1).sort((a, b) => a[0] - b[0]);
  const [firstStep, firstAt] = marks[0]!;
  const [lastStep, lastAt] = marks[marks.length - 1]!;
  return { ms: (lastAt - firstAt) / (lastStep - firstStep), ...dims };
}
