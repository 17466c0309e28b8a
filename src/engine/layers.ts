/**
 * VGG19's conv layers: the one table every runtime, the weight readers and the option schema read.
 * Free of any runtime, so the option schema and the request checks load without tfjs or onnxruntime.
 */

export interface VggConvLayer {
  /** `block1_conv1` … `block5_conv4`, as Keras names them. */
  name: string;
  /** Input channels (3 for the first: RGB). */
  cin: number;
  /** Output channels. */
  filters: number;
  /** A 2×2 max/avg pool, stride 2, 'valid', follows: the last conv of each block. */
  poolAfter: boolean;
}

/** The 16 conv layers in network order: convs per block 2, 2, 4, 4, 4 of 64, 128, 256, 512, 512 filters. */
export const VGG19_CONV_LAYERS: readonly VggConvLayer[] = (() => {
  const blocks: [convs: number, filters: number][] = [
    [2, 64],
    [2, 128],
    [4, 256],
    [4, 512],
    [4, 512],
  ];
  const layers: VggConvLayer[] = [];
  let cin = 3;
  blocks.forEach(([convs, filters], b) => {
    for (let c = 1; c <= convs; c++) {
      layers.push({ name: `block${b + 1}_conv${c}`, cin, filters, poolAfter: c === convs });
      cin = filters;
    }
  });
  return layers;
})();

export const VGG19_LAYERS: readonly string[] = VGG19_CONV_LAYERS.map((l) => l.name);

/** The layers from block1_conv1 down to the deepest of `wanted` (which must be VGG19 conv layer names). */
export function layersDownTo(wanted: Iterable<string>): readonly VggConvLayer[] {
  const depth = Math.max(...[...wanted].map((n) => VGG19_LAYERS.indexOf(n)));
  return VGG19_CONV_LAYERS.slice(0, depth + 1);
}

/** Expected [3, 3, in, out] kernel shape of a layer (HWIO, as Keras and tfjs store it). */
export function expectedKernelShape(name: string): [number, number, number, number] | undefined {
  const layer = VGG19_CONV_LAYERS.find((l) => l.name === name);
  return layer && [3, 3, layer.cin, layer.filters];
}

/**
 * The shortest side an input may have for every pooling before the deepest of `layers` to leave at
 * least one pixel (×2 per pooling). Thinner inputs make the runtimes' pooling kernels read out of
 * bounds (tfjs-wasm: "memory access out of bounds", then a wasm heap no later job can trust).
 */
export function minInputSide(layers: Iterable<string>): number {
  const run = layersDownTo([VGG19_LAYERS[0]!, ...layers]);
  return 2 ** run.slice(0, -1).filter((l) => l.poolAfter).length;
}

/**
 * Multiply-adds ×2 of the 3x3 convs up to `deepest` for an H×W input: the FLOP count of one
 * forward pass. One optimisation step (forward + image gradient by a second conv) is ~2× this.
 */
export function convFlops(height: number, width: number, deepest: string): number {
  let h = height;
  let w = width;
  let flops = 0;
  for (const layer of layersDownTo([deepest])) {
    flops += 2 * 9 * h * w * layer.cin * layer.filters;
    if (layer.poolAfter) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
  }
  return flops;
}
