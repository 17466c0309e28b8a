/**
 * A job's time limit grows with the size it asks for: JOB_TIME_LIMIT_S is the limit of a default
 * 1024 px job (the largest an engine computed before large sizes), and a larger one (2048 or
 * 4096 px: 4× or 16× the pixels at the top scale) gets that limit times a default job's work at
 * its size over that job's (eta.ts's megapixel-steps), times TILED_COST for the extra pass that
 * tiled scales make. Only the size counts: more iterations must not buy a longer limit.
 */
import type { StylizeRequest } from '../engine/index.js';
import { jobWork } from './eta.js';

/** Long side from which the top scale is tiled (a canvas above 1040² px; tiled-objective.ts). */
const TILED_FROM = 1025;
/** Tiled evaluations run a stats pass before the gradient pass: at most ~1.5× per pixel. */
const TILED_COST = 1.5;
const REFERENCE_WORK = jobWork({ options: { size: 1024 } });

export function jobTimeLimitMs(request: Partial<StylizeRequest>, baseMs: number): number {
  const size = request.options?.size ?? 0;
  const ratio = (jobWork({ options: size > 0 ? { size } : {} }) / REFERENCE_WORK) * (size >= TILED_FROM ? TILED_COST : 1);
  return Math.round(baseMs * Math.max(1, ratio));
}
