/**
 * Runs initBackend in a fresh process (tfjs can start each backend only once per process) and
 * prints one JSON line: the result, tf.getBackend(), and a checksum computed on that backend.
 *   tsx test/engine/support/backend-probe.ts <choice> [threads] [timeoutMs]
 */
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/engine/tfjs/backend.js';
import type { TfjsBackendChoice as BackendChoice } from '../../../src/engine/tfjs/backend.js';

const [choice = 'auto', threads = '0', timeoutMs] = process.argv.slice(2);
try {
  const info = await initBackend(choice as BackendChoice, {
    threads: Number(threads),
    timeoutMs: timeoutMs === undefined ? undefined : Number(timeoutMs),
  });
  const x = tf.range(0, 2 * 6 * 6 * 3).reshape([2, 6, 6, 3]).div(100) as tf.Tensor4D;
  const sum = (await tf.sum(tf.conv2d(x, tf.ones([3, 3, 3, 2]), 1, 'same')).data())[0];
  console.log(JSON.stringify({ ...info, active: tf.getBackend(), sum }));
} catch (e) {
  console.log(JSON.stringify({ error: (e as { code?: string }).code ?? String(e), message: (e as Error).message }));
}
