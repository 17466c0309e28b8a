/** The engine's public surface: bytes + options in, bytes + stats out, progress by callback. */
export { checkRequest, createEngine, MAX_STYLES } from './stylize.js';
export { DEFAULT_LIMITS, OPTION_SPECS, optionsSchema } from './options.js';
export { DEFAULT_OPTIONS, DEFAULT_STYLE_LAYERS, DEFAULT_MAX_SIZE, resolveOptions, strengthFactor } from './defaults.js';
export { autoSchedule, autoSizes } from './schedule.js';
export { StylizeError, isStylizeError, type StylizeErrorCode } from './errors.js';
export { initBackend, currentBackend, type BackendInfo } from './backend.js';
export { ensureFastModels, fastModelsDirIn, FAST_MODELS } from './fast/models.js';
export type * from './types.js';
