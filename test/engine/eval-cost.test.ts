/**
 * The ETA's cost curve: what the rest of a job costs relative to the evaluations measured so far.
 * A user sees it as "about N s left"; here the curve itself is checked against the figures it is fed.
 */
import { expect, it } from 'vitest';
import { EvaluationCosts } from '../../src/engine/eval-cost.js';
import { marginFor, withMargin } from '../../src/engine/margin.js';
import { onnxCostModel } from '../../src/engine/onnx/cost-model.js';
import { convAlgorithmFor, servedBySymbolic } from '../../src/engine/onnx/size-policy.js';

const P128 = 128 * 85;
const P256 = 256 * 170;
const P512 = 512 * 341;

it('before any measurement, a larger scale costs more than its pixels alone say, a smaller one less', () => {
  const costs = new EvaluationCosts();
  const ratio = costs.evaluation(P512) / costs.evaluation(P256);
  expect(ratio).toBeGreaterThan(3.8);
  expect(ratio).toBeLessThan(4.6);
  // The fixed part of a small evaluation: 128 px costs more than 1/16 of 512 px.
  expect(costs.evaluation(P128) / costs.evaluation(P512)).toBeGreaterThan(1 / 16);
});

it('goes through the sizes it has measured, so a repeated job predicts what the last one took', () => {
  const costs = new EvaluationCosts();
  // A machine where the finest scale is slower per pixel than the prior thinks (memory-bound).
  costs.record(P128, 150, 600);
  costs.record(P256, 520, 1500);
  costs.record(P512, 2900, 9000);
  expect(costs.evaluation(P512) / costs.evaluation(P128)).toBeCloseTo(2900 / 150, 6);
  expect(costs.evaluation(P256) / costs.evaluation(P128)).toBeCloseTo(520 / 150, 6);
  // Between two measured sizes: between their costs, monotone in pixels.
  const mid = costs.evaluation(384 * 256);
  expect(mid).toBeGreaterThan(costs.evaluation(P256));
  expect(mid).toBeLessThan(costs.evaluation(P512));
});

it('prices onnx sizes by the convs they get: Winograd from 160² px, cheaper per pixel; builds only for sessions of their own shape', () => {
  const costs = new EvaluationCosts(onnxCostModel({}));
  const perPixel = (p: number) => costs.evaluation(p) / p;
  // 512 px (Winograd) per pixel cheaper than 128 px (direct, the shared symbolic session).
  expect(perPixel(P512)).toBeLessThan(0.75 * perPixel(P128));
  expect(costs.evaluation(P512) / costs.evaluation(P128)).toBeLessThan(12);
  // Above 512² px the convs are direct again: dearer per pixel than Winograd's.
  expect(perPixel(1024 * 683)).toBeGreaterThan(perPixel(P512));
  // Up to 520² px the sessions are shared (symbolic size): once one scale has run on the Winograd
  // one, no build to wait for. A session of its own shape costs a build, more than a second for Winograd's.
  costs.record(P256, 200);
  expect(costs.setupMs(P512, 1)).toBeCloseTo(2 * costs.evaluation(P512), 6);
  const perShape = new EvaluationCosts(onnxCostModel({ symbolicUpTo: 0 }));
  perShape.record(P256, 200);
  expect(perShape.setupMs(P512, 1) - 2 * perShape.evaluation(P512)).toBeGreaterThan(1000);
  // A job with the conv chosen as direct everywhere prices 512 px like the direct sizes.
  const direct = new EvaluationCosts(onnxCostModel({ conv: 'direct' }));
  expect(direct.evaluation(P512) / P512).toBeCloseTo(direct.evaluation(P128) / P128, 6);
});

it('computes and prices a square 512 px photo like a 3:2 one: Winograd convs on the shared session, margin included', () => {
  // Each scale is optimised on its canvas (the picture and its mirrored margin): 520×520 for a
  // square photo's 512 px scale. Past the old 512² limit it got direct convs, no arena and a
  // session of its own shape, and its default job took ~1.8× as long as with them.
  const costs = new EvaluationCosts(onnxCostModel({}));
  const perPixel = (p: number) => costs.evaluation(p) / p;
  const canvas = (w: number, h: number) => {
    const c = withMargin({ width: w, height: h }, marginFor(Math.max(w, h)));
    return c.width * c.height;
  };
  // A 256 px scale has run on the shared Winograd session.
  costs.record(canvas(256, 170), 200);
  for (const pixels of [canvas(512, 512), canvas(512, 341), canvas(341, 512)]) {
    expect(convAlgorithmFor(pixels)).toBe('winograd');
    expect(servedBySymbolic(pixels)).toBe(true);
    expect(costs.setupMs(pixels, 1)).toBeCloseTo(2 * costs.evaluation(pixels), 6);
  }
  expect(perPixel(canvas(512, 512))).toBeLessThan(perPixel(canvas(512, 341)));
  // A larger picture is still direct and on a session of its own (memory first).
  expect(convAlgorithmFor(canvas(640, 640))).toBe('direct');
  expect(servedBySymbolic(canvas(640, 640))).toBe(false);
});

it('learns what setting a scale up costs: a fixed part (a session build) plus a few of its evaluations', () => {
  // Sessions per shape, so that the 512 px scale has one to build.
  const costs = new EvaluationCosts(onnxCostModel({ symbolicUpTo: 0 }));
  const msPerUnit = (msPerEvaluation: number, pixels: number) => msPerEvaluation / costs.evaluation(pixels);
  // A fresh engine's 128 px scale on a machine twice as slow as the model's: 126 ms evaluations,
  // a set-up of its targets and first score only.
  costs.record(P128, 126, 300);
  const fresh = costs.setupMs(P512, msPerUnit(1490, P512));
  // The 512 px scale's set-up: a Winograd session build at this machine's speed (~5 s) plus two of
  // its own evaluations, not a multiple of the 128 px set-up.
  expect(fresh).toBeGreaterThan(6000);
  expect(fresh).toBeLessThan(11000);
  // Repeated jobs find their sessions built: set-ups shrink to what they measured.
  for (let i = 0; i < 6; i++) costs.record(P512, 1490, 3500);
  expect(costs.setupMs(P512, msPerUnit(1490, P512))).toBeCloseTo(3500, -2);
  expect(costs.setupMs(P512, msPerUnit(1490, P512))).toBeLessThan(fresh);
});

it("counts the shared Winograd session's first use once, in a fresh engine's first job only", () => {
  // Its build (plus the first runs that size its memory) was left out of a first job's ETA, which
  // after the 128 px scale came out 13-24 % short.
  const costs = new EvaluationCosts(onnxCostModel({}));
  const canvas = (w: number, h: number) => withMargin({ width: w, height: h }, marginFor(Math.max(w, h)));
  const px = (w: number, h: number) => canvas(w, h).width * canvas(w, h).height;
  const [p128, p256, p512] = [px(128, 85), px(256, 170), px(512, 341)];
  const own = (pixels: number) => 2 * costs.evaluation(pixels);
  // The 128 px scale's direct session is built with the runtime: nothing to wait for.
  expect(costs.setupMs(p128, 1)).toBeCloseTo(own(p128), 6);
  costs.record(p128, 60, 200);
  const firstUse = costs.setupMs(p256, 1) - own(p256);
  expect(firstUse).toBeGreaterThan(5 * costs.evaluation(p256));
  // The 256 and 512 px scales share the session: the first of them pays for it, once.
  expect(costs.setupsMs([p256, p512], 1) - own(p256) - own(p512)).toBeCloseTo(firstUse, 6);
  // A job that starts at 512 px pays it there.
  expect(costs.setupMs(p512, 1) - own(p512)).toBeCloseTo(firstUse, 6);
  // Once a scale has run on it, no size it serves pays it again, whatever the picture's shape.
  costs.record(p256, 200, 2600);
  expect(costs.setupMs(p512, 1)).toBeCloseTo(own(p512), 6);
  expect(costs.setupMs(px(341, 512), 1)).toBeCloseTo(own(px(341, 512)), 6);
  // The set-up that built it taught nothing of the next one's (it would have said ~2 s);
  // a set-up with the session built does.
  expect(costs.setupMs(p256, 1)).toBeCloseTo(own(p256), 6);
  costs.record(p256, 200, 700);
  expect(costs.setupMs(p256, 200 / costs.evaluation(p256))).toBeCloseTo(700, 0);
  // A 1024 px scale has a session of its own shape to build.
  const p1024 = px(1024, 683);
  expect(costs.setupMs(p1024, 1) - own(p1024)).toBeGreaterThan(0);
});

it('keeps a new measurement and the old one both in view (a loaded moment does not replace all it knew)', () => {
  const costs = new EvaluationCosts();
  costs.record(P512, 2000);
  costs.record(P256, 500);
  const calm = costs.evaluation(P512) / costs.evaluation(P256);
  costs.record(P512, 4000);
  const loaded = costs.evaluation(P512) / costs.evaluation(P256);
  expect(loaded).toBeGreaterThan(calm);
  expect(loaded).toBeLessThan(calm * 2);
});
