/**
 * Which objective session and conv algorithm each size gets on the onnx runtime: shared by the
 * runtime (runtime.ts) and its cost model (cost-model.ts), which the engine's thread loads
 * without the runtime itself.
 */
import { StylizeError } from '../errors.js';
import { marginFor } from '../margin.js';
import type { ConvAlgorithm } from './vgg-graph.js';

const CONV_ALGORITHMS: readonly ConvAlgorithm[] = ['direct', 'winograd'];

/** STYLIZE_ONNX_CONV (or `name`): unset or empty = the default; a value that is not an algorithm is refused, not ignored. */
export function convFromEnv(name = 'STYLIZE_ONNX_CONV'): ConvAlgorithm | undefined {
  const v = process.env[name]?.trim();
  if (v === undefined || v === '') return undefined;
  const found = CONV_ALGORITHMS.find((a) => a === v);
  if (!found) throw new StylizeError('backend-unavailable', `${name}=${JSON.stringify(v)} is not valid; fix: set it to ${CONV_ALGORITHMS.join(' or ')}, or leave it empty.`);
  return found;
}

/**
 * Smallest objective given Winograd convs by default. A Winograd session takes ~1 s longer to
 * build (its folded kernels are 4× the direct ones), which the 128 px scale, at ~0.13 s a step,
 * never earns back, and a job's first preview waits for that scale's session. (When the
 * transforms were still computed in JS, Winograd at 128 px put the first preview at 4.7 s
 * against 1.4 s direct.) At 256 and 512 px its steps run 0.6-0.9× the direct ones.
 */
export const WINOGRAD_MIN_PIXELS = 160 * 160;

/** The largest square picture, in px a side, whose objective keeps onnxruntime's arena (and Winograd convs). */
const ARENA_MAX_SIDE = 512;

/**
 * Largest objective (in pixels) whose session keeps onnxruntime's arena: a square picture of
 * ARENA_MAX_SIDE px on the canvas it is optimised on, its margin (margin.ts) included, 520².
 * (At 512² the margin put a square photo's 512 px scale just past it: direct convs, no arena and
 * a session of its own shape. golden_gate's default 512 px job, two on one engine each, same
 * hour: 146 / 151 s then, 87 / 77 s now; peak RSS 2.2-2.4 GB then, 2.6-2.7 GB now.)
 */
export const ARENA_MAX_PIXELS = (ARENA_MAX_SIDE + 2 * marginFor(ARENA_MAX_SIDE)) ** 2;

/**
 * Objectives up to the arena's size share a session of symbolic size per conv algorithm (direct
 * below Winograd's size, Winograd from it): see runtime.ts for the measurements.
 */
export const SYMBOLIC_MAX_PIXELS = ARENA_MAX_PIXELS;

/**
 * The convs of an objective session of this many pixels: `chosen` (an option) within the arena's
 * size, direct above it. Winograd holds more: its kernels are 4× the direct ones (36 transformed
 * taps for 9), and its transformed tiles are large at full size. Peak RSS of one objective
 * session + the features session, 3 steps (fresh process): 512×341 2171 MB direct, 2794 MB
 * Winograd; 1024×683 2694 MB and 4064 MB, past a 1024 px job's 4 GB. So above the arena's size,
 * where memory comes first, the convs stay direct.
 */
export function convAlgorithmFor(pixels: number, chosen?: ConvAlgorithm): ConvAlgorithm {
  return pixels > ARENA_MAX_PIXELS ? 'direct' : (chosen ?? (pixels >= WINOGRAD_MIN_PIXELS ? 'winograd' : 'direct'));
}

/** Whether a shared session of symbolic size serves this size (else a session of its own shape). */
export function servedBySymbolic(pixels: number, symbolicUpTo = SYMBOLIC_MAX_PIXELS): boolean {
  return pixels <= symbolicUpTo;
}

/**
 * Objectives above this many pixels are computed tile by tile (tiled-objective.ts): a square
 * 1024 px picture on its canvas (1040², whose untiled job peaks at ~3.7 GB, both processes) is the
 * largest computed whole; the whole graph's activations grow with the pixels (a 2048 px job: 8.7 GB).
 */
export const TILED_MIN_PIXELS = (1024 + 2 * marginFor(1024)) ** 2;

/**
 * A gradient tile's interior side, px: its crop adds the margin its features need (70 px a side
 * for block5_conv1, less at each deeper block: tile-plan.ts). Chosen by memory: larger tiles
 * compute fewer margins twice, but the tile graph's one arena holds its largest run's peak, which
 * grows faster than the crop (`npm run bench -- --large` measures both).
 */
export const TILE_INTERIOR = 576;
/** A stats tile's interior side, px: a forward pass alone frees each activation once the next is made, so its crops can be about three times the pixels in the same arena. */
export const STATS_INTERIOR = 1024;
/**
 * A tile's crop is bounded, so Winograd's larger kernels and transformed tiles cost a bounded
 * amount of memory there, and its convs are faster: `npm run bench -- --large` measures both.
 */
export const TILE_CONV: ConvAlgorithm = 'winograd';
/** Tile sessions keep onnxruntime's arena (and the NCHWc layout): a tiled evaluation took ~0.6× the time without. */
export const TILE_ARENA = true;

/** Tiling as the environment asks (STYLIZE_ONNX_TILE_ABOVE pixels, STYLIZE_ONNX_TILE_INTERIOR px: the bench times tiles at smaller sizes), else the defaults above. */
export interface Tiling {
  /** Objectives above this many pixels are tiled. */
  minPixels: number;
  /** A tile's interior side, px. */
  interior: number;
  /** The stats pass's (forward only); default `interior`. */
  statsInterior?: number;
  /** The tiles' convs. */
  conv: ConvAlgorithm;
  /** Whether the tile sessions keep onnxruntime's arena within a run and the NCHWc layout (faster, more memory). */
  arena: boolean;
}

export function tilingFromEnv(): Tiling {
  const read = (name: string, fallback: number, min: number) => {
    const v = process.env[name]?.trim();
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new StylizeError('backend-unavailable', `${name}=${JSON.stringify(v)} is not valid; fix: set it to a whole number of at least ${min}, or leave it empty.`);
    return n;
  };
  return {
    minPixels: read('STYLIZE_ONNX_TILE_ABOVE', TILED_MIN_PIXELS, 0),
    interior: read('STYLIZE_ONNX_TILE_INTERIOR', TILE_INTERIOR, 16),
    statsInterior: read('STYLIZE_ONNX_STATS_INTERIOR', STATS_INTERIOR, 16),
    conv: convFromEnv('STYLIZE_ONNX_TILE_CONV') ?? TILE_CONV,
    arena: (process.env.STYLIZE_ONNX_TILE_ARENA ?? (TILE_ARENA ? '1' : '0')) === '1',
  };
}
