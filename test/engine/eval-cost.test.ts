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

it('learns what setting a scale up costs, in evaluations of that scale', () => {
  const costs = new EvaluationCosts();
  const before = costs.setup(P512) / costs.evaluation(P512);
  for (let i = 0; i < 6; i++) costs.record(P512, 2000, 1000);
  const after = costs.setup(P512) / costs.evaluation(P512);
  expect(after).toBeLessThan(before);
  expect(after).toBeCloseTo(0.5, 1);
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
