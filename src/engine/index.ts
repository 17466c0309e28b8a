/** The engine's public surface: bytes + options in, bytes + stats out, progress by callback. */
export { checkRequest, createEngine, FAST_START_MAX_SIZE, MAX_STYLES } from './stylize.js';
export { DEFAULT_LIMITS, OPTION_SPECS, optionsSchema } from './options.js';
export { DEFAULT_OPTIONS, DEFAULT_STYLE_LAYERS, DEFAULT_MAX_SIZE, resolveOptions, strengthFactor } from './defaults.js';
export { autoSchedule, autoSizes } from './schedule.js';
export { StylizeError, isStylizeError, type StylizeErrorCode } from './errors.js';
export { maxOf, specSchema, type OptionSpec } from './options.js';
export { DEFAULT_SIZE, planScales } from './schedule.js';
export { describeNonImage, sniffImageType, type ImageType } from './image.js';
export { ensureWeights, OFFICIAL_VGG19_H5 } from './weights/download.js';
export type { BackendInfo } from './tfjs/backend.js';
export { ensureFastModels, fastModelsDirIn, FAST_MODELS } from './fast/models.js';
export { createFastEngine, type FastEngine, type FastEngineConfig } from './fast/engine.js';
export type * from './types.js';
export { BACKEND_CHOICES, OUTPUT_FORMATS, OUTPUT_MIME } from './types.js';
export { openStylePredictor, type StylePredictor } from './fast/style-predictor.js';
export { savedStyleCard, type SavedStyleCard } from './saved-style.js';
