import path from 'node:path';
import { SHARED_DIR } from '../../support/fixtures.js';

/** The shared copy of the fast network's .tflite files and the TFLite runtime's outputs for them. */
export const FAST_MODELS_DIR = process.env.FAST_STYLE_MODELS ?? path.join(SHARED_DIR, 'models', 'magenta-arbitrary-style-tflite');
export const FAST_REFERENCE_DIR = path.join(SHARED_DIR, 'models', 'magenta-arbitrary-style-tflite', 'reference');
