/**
 * The ETA's cost curve: what the rest of a job costs relative to the evaluations measured so far.
 * A user sees it as "about N s left"; here the curve itself is checked against the figures it is fed.
 */
import { expect, it } from 'vitest';
import { EvaluationCosts } from '../../src/engine/eval-cost.js';

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

it('learns what setting a scale up costs: a fixed part (a session build) plus a few of its evaluations', () => {
  const costs = new EvaluationCosts();
  const msPerUnit = (msPerEvaluation: number, pixels: number) => msPerEvaluation / costs.evaluation(pixels);
  // A fresh engine's 128 px scale: a 1.3 s set-up (mostly its session build), 150 ms evaluations.
  costs.record(P128, 150, 1300);
  const afterBuild = costs.setupMs(P512, msPerUnit(2000, P512));
  // The 512 px scale's set-up is predicted as that build plus a few of its own 2 s evaluations,
  // not as 8 of them (1.3 s / 150 ms): between 4 and 7 s.
  expect(afterBuild).toBeGreaterThan(4000);
  expect(afterBuild).toBeLessThan(7000);
  // Repeated jobs find their sessions built: set-ups shrink to the evaluations' part.
  for (let i = 0; i < 6; i++) costs.record(P512, 2000, 4100);
  expect(costs.setupMs(P512, msPerUnit(2000, P512))).toBeCloseTo(4100, -2);
  for (let i = 0; i < 6; i++) costs.record(P512, 2000, 4000);
  expect(costs.setupMs(P512, msPerUnit(2000, P512))).toBeLessThan(afterBuild);
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
