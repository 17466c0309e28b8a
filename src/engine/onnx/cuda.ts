/**
 * Whether onnxruntime's CUDA provider can be tried here, answered from files alone: asking
 * onnxruntime itself means a child process and a native load (~3.5 s on 2 cores), which `auto`
 * used to pay at every engine start on a machine without a GPU.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { StylizeError } from '../errors.js';

const require = createRequire(import.meta.url);

export const CUDA_INSTALL_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

/** Where onnxruntime-node keeps its native libraries; the CUDA provider is downloaded there. */
function nativeDir(): string {
  return path.join(path.dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

/** Why CUDA cannot be used here, or undefined when it might. */
function cudaMissing(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return `onnxruntime-node has no CUDA provider for ${process.platform}/${process.arch}`;
  if (!existsSync(path.join(nativeDir(), 'libonnxruntime_providers_cuda.so'))) {
    return `onnxruntime-node's CUDA provider is not installed (get it with \`${CUDA_INSTALL_COMMAND}\`)`;
  }
  if (!existsSync('/dev/nvidiactl') && !existsSync('/dev/nvidia0')) return 'no NVIDIA GPU is visible';
  return undefined;
}

/** The refusal of `onnx-cuda` on this machine, or undefined when CUDA might work. */
export function cudaRefusal(): StylizeError | undefined {
  const why = cudaMissing();
  return why === undefined ? undefined : new StylizeError('backend-unavailable', `The onnx-cuda backend cannot start: ${why}; choose onnx to run on the CPU.`);
}
