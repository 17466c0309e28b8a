/**
 * VGG19's conv layers by name, and what their depth asks of an input's shape. Free of any runtime,
 * so the option schema and the request checks load without tfjs or onnxruntime.
 */

/** The conv layers in order (convs per block: 2, 2, 4, 4, 4). */
export const VGG19_LAYERS: readonly string[] = [2, 2, 4, 4, 4].flatMap((convs, b) =>
  Array.from({ length: convs }, (_, c) => `block${b + 1}_conv${c + 1}`),
);

/**
 * The shortest side an input may have for every pooling before the deepest of `layers` to leave at
 * least one pixel (×2 per pooling). Thinner inputs make the runtimes' pooling kernels read out of
 * bounds (tfjs-wasm: "memory access out of bounds", then a wasm heap no later job can trust).
 */
export function minInputSide(layers: Iterable<string>): number {
  const depth = Math.max(0, ...[...layers].map((n) => VGG19_LAYERS.indexOf(n)));
  let poolings = 0;
  for (let i = 0; i < depth; i++) {
    if (VGG19_LAYERS[i]!.slice(0, 6) !== VGG19_LAYERS[i + 1]!.slice(0, 6)) poolings++;
  }
  return 2 ** poolings;
}
