/**
 * Image I/O for the engine: bytes in, plain RGB pixels out, and back. sharp lives only here;
 * no tensors in this module.
 *
 * API (stable; other modules build on it):
 * - `interface RgbImage { data: Uint8Array; width: number; height: number }` — 8-bit sRGB,
 *   3 bytes per pixel, row-major, no padding.
 * - `sniffImageType(bytes) -> 'jpeg'|'png'|'webp'|'gif'|'avif'|'heif'|'tiff' | undefined` — by content,
 *   never by file name. `describeNonImage(bytes)` names what a refused file looks like instead.
 * - `decodeImage(bytes, limits, { label? }) -> Promise<RgbImage>` — applies EXIF orientation,
 *   first GIF frame, flattens alpha onto white, CMYK/16-bit/grey → 8-bit sRGB. Refuses with
 *   `StylizeError` codes 'empty-image' | 'image-too-large' | 'too-many-pixels' |
 *   'unsupported-image' | 'corrupt-image'; `label` ('content image', 'style image', default
 *   'image') is used in the sentence.
 * - `resizeRgb(img, width, height) -> Promise<RgbImage>` (lanczos3, exact size, aspect not kept).
 * - `fitLongSide(width, height, long) -> { width, height }` (each side ≥ 1).
 * - `encodeImage(img, 'png'|'jpeg'|'webp', { quality?, compressionLevel? }) -> Promise<Uint8Array>`.
 * - `encodePreview(img, { maxSide? }) -> Promise<Uint8Array>` — fast PNG for progress previews.
 * - Colour (pure): `rgbToYiq`, `yiqToRgb` on interleaved Float32 (0..255 scale), `toLuma(img)`
 *   -> Float32Array (w*h), `lumaToRgb(luma, w, h)` -> grey RgbImage, `matchLuma(src, ref)`
 *   (mean/std transfer), `combineLumaWithChroma(luma | RgbImage, content)` -> RgbImage that
 *   keeps the content's colours (I, Q) with the given brightness (Y); `keepContentChroma(floatRgb,
 *   content)` the same on float pixels (for the image being optimised); `toBytes(floatRgb)`.
 */
import sharp, { type Metadata, type Sharp, type SharpOptions } from 'sharp';
import { formatBytes, formatMegapixels } from '../util/units.js';
import { StylizeError } from './errors.js';
import type { ImageLimits, OutputFormat } from './types.js';

export interface RgbImage {
  /** 8-bit sRGB, 3 bytes per pixel, row-major. */
  data: Uint8Array;
  width: number;
  height: number;
}

export type ImageType = 'jpeg' | 'png' | 'webp' | 'gif' | 'avif' | 'heif' | 'tiff';

export interface DecodeOptions {
  /** How the sentences name the picture, e.g. 'content image' or 'style image'. */
  label?: string;
}

// Library words, not chat ones: the CLI and the bots both show these sentences.
const ACCEPTED = 'Use a JPEG, PNG, WebP or GIF.';

function startsWith(bytes: Uint8Array, sig: readonly number[], offset = 0): boolean {
  if (bytes.length < offset + sig.length) return false;
  return sig.every((b, i) => bytes[offset + i] === b);
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, bytes.length)));
}

/** The container type from magic bytes; undefined for anything we will not decode. */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 12) === 'WEBP') return 'webp';
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return 'gif';
  if (startsWith(bytes, [0x49, 0x49, 0x2a, 0x00]) || startsWith(bytes, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  if (ascii(bytes, 4, 8) === 'ftyp') {
    // ISO-BMFF: the major brand (and compatible brands) say which still-image format it is.
    const brands = ascii(bytes, 8, Math.min(bytes.length, 8 + 64));
    if (/avi[fs]/.test(brands)) return 'avif';
    if (/hei[cxms]|hev[cxms]|mif1|msf1/.test(brands)) return 'heif';
  }
  return undefined;
}

/** A short description of what a non-image looks like, for the refusal sentence. */
export function describeNonImage(bytes: Uint8Array): string {
  const head = ascii(bytes, 0, 512).trimStart().toLowerCase();
  if (startsWith(bytes, [0x42, 0x4d])) return 'a BMP bitmap, which is not supported';
  if (head.startsWith('%pdf')) return 'a PDF document, not a picture';
  if (head.startsWith('<?xml') || head.startsWith('<svg')) {
    return head.includes('<svg') ? 'an SVG drawing, which is not supported' : 'an XML document, not a picture';
  }
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return 'a web page, not a picture';
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive or office document, not a picture';
  if (ascii(bytes, 4, 8) === 'ftyp') return 'a video or other media file, not a picture';
  if (startsWith(bytes, [0x1a, 0x45, 0xdf, 0xa3])) return 'a video file, not a picture';
  if (looksLikeText(bytes)) return 'a text file, not a picture';
  return 'not a picture this bot can read';
}

function looksLikeText(bytes: Uint8Array): boolean {
  const sample = bytes.subarray(0, 1024);
  let printable = 0;
  for (const b of sample) {
    if (b === 0) return false;
    if (b === 9 || b === 10 || b === 13 || (b >= 32 && b !== 127)) printable++;
  }
  return sample.length > 0 && printable / sample.length > 0.95;
}

function capitalised(label: string): string {
  return `The ${label}`;
}

const TYPE_NAMES: Record<ImageType, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  gif: 'GIF',
  avif: 'AVIF',
  heif: 'HEIF',
  tiff: 'TIFF',
};

/**
 * Decodes any supported picture to 8-bit sRGB RGB. The header is checked against the limits
 * before any pixels are decoded, so a small file claiming billions of pixels costs nothing.
 */
export async function decodeImage(
  bytes: Uint8Array,
  limits: ImageLimits,
  options: DecodeOptions = {},
): Promise<RgbImage> {
  const The = capitalised(options.label ?? 'image');
  if (bytes.length === 0) {
    throw new StylizeError('empty-image', `${The} is empty (0 bytes): there is no picture in it.`);
  }
  if (bytes.length > limits.maxBytes) {
    throw new StylizeError(
      'image-too-large',
      `${The} is ${formatBytes(bytes.length)}; the limit is ${formatBytes(limits.maxBytes)}. Use a smaller file (a JPEG usually is).`,
    );
  }
  const type = sniffImageType(bytes);
  if (type === undefined) {
    throw new StylizeError('unsupported-image', `${The} is ${describeNonImage(bytes)}. ${ACCEPTED}`);
  }
  const typeName = TYPE_NAMES[type];
  /** "a JPEG", but "an AVIF": the article goes by the sound. */
  const aType = `${type === 'avif' ? 'an' : 'a'} ${typeName}`;
  const corrupt = (cause: unknown) =>
    type === 'heif'
      ? // sharp's prebuilt libvips has no HEVC decoder, so most iPhone photos end here.
        new StylizeError(
          'unsupported-image',
          `${The} is a HEIC/HEIF photo (the iPhone default), which this bot cannot read. ${ACCEPTED} On an iPhone, share it as JPEG or set Settings > Camera > Formats > Most Compatible.`,
          { cause },
        )
      : new StylizeError(
      'corrupt-image',
      `${The} looks like ${aType} but is damaged or cut off, so it cannot be read. Save or export it again, or send another picture.`,
      { cause },
    );

  // One input option set for both passes: the header read and the decode must agree on pages.
  const input: SharpOptions = {
    // Defence in depth behind the header check below: libvips refuses to go past this itself.
    limitInputPixels: Math.max(1, Math.floor(limits.maxPixels)),
    failOn: 'truncated',
    pages: 1,
    page: 0,
  };

  let meta: Metadata;
  try {
    // The header read decodes no pixels, so the limit is lifted here to report the real size.
    meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata();
  } catch (e) {
    throw classifySharpError(e, The, aType, corrupt);
  }
  const width = meta.width;
  const height = meta.pageHeight ?? meta.height;
  if (!width || !height) throw corrupt(new Error('no dimensions in header'));
  if (width * height > limits.maxPixels) {
    throw new StylizeError(
      'too-many-pixels',
      `${The} is ${width} x ${height} pixels (${formatMegapixels(width * height)}); the limit is ${formatMegapixels(limits.maxPixels)}. Use a smaller picture.`,
    );
  }

  try {
    const { data, info } = await sharp(bytes, input)
      .autoOrient()
      // Transparent areas become white, as they look in most viewers.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      return { data: toRgb(data, info.channels, info.width, info.height), width: info.width, height: info.height };
    }
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw classifySharpError(e, The, aType, corrupt);
  }
}

function classifySharpError(
  e: unknown,
  The: string,
  aType: string,
  corrupt: (cause: unknown) => StylizeError,
): StylizeError {
  const message = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(message)) {
    return new StylizeError(
      'too-many-pixels',
      `${The} has more pixels than the limit allows. Use a smaller picture.`,
      { cause: e },
    );
  }
  if (/unsupported image format|no decoder|not supported|heif: Unsupported/i.test(message)) {
    return new StylizeError(
      'unsupported-image',
      `${The} is ${aType} variant this bot cannot read. ${ACCEPTED}`,
      { cause: e },
    );
  }
  return corrupt(e);
}

/** Drops or replicates channels so the result is always 3 per pixel. */
function toRgb(data: Uint8Array, channels: number, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * channels + Math.min(c, channels - 1)] ?? 0;
  }
  return out;
}

function rawInput(img: RgbImage): Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } });
}

async function rawOutput(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Resamples to exactly width x height (lanczos3). */
export async function resizeRgb(img: RgbImage, width: number, height: number): Promise<RgbImage> {
  const w = Math.max(1, Math.round(width));
  const h = Math.max(1, Math.round(height));
  if (w === img.width && h === img.height) return { data: img.data.slice(), width: w, height: h };
  return rawOutput(rawInput(img).resize(w, h, { fit: 'fill', kernel: 'lanczos3' }));
}

/** The size with the long side set to `long`, aspect kept; each side at least 1 px. */
export function fitLongSide(width: number, height: number, long: number): { width: number; height: number } {
  if (width >= height) {
    return { width: Math.max(1, Math.round(long)), height: Math.max(1, Math.round((height * long) / width)) };
  }
  return { width: Math.max(1, Math.round((width * long) / height)), height: Math.max(1, Math.round(long)) };
}

export interface EncodeOptions {
  /** JPEG and WebP quality 1..100. Default 92. */
  quality?: number;
  /** PNG zlib level 0..9. Default 6. */
  compressionLevel?: number;
}

export async function encodeImage(img: RgbImage, format: OutputFormat, opts: EncodeOptions = {}): Promise<Uint8Array> {
  const pipeline =
    format === 'png'
      ? rawInput(img).png({ compressionLevel: opts.compressionLevel ?? 6 })
      : format === 'webp'
        ? rawInput(img).webp({ quality: opts.quality ?? 92, smartSubsample: true })
        : rawInput(img).jpeg({ quality: opts.quality ?? 92, chromaSubsampling: '4:4:4' });
  const buf = await pipeline.toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A quick PNG for progress messages; shrinks to `maxSide` when given. */
export async function encodePreview(img: RgbImage, opts: { maxSide?: number } = {}): Promise<Uint8Array> {
  let pipeline = rawInput(img);
  const long = Math.max(img.width, img.height);
  if (opts.maxSide !== undefined && long > opts.maxSide) {
    const size = fitLongSide(img.width, img.height, opts.maxSide);
    pipeline = pipeline.resize(size.width, size.height, { fit: 'fill', kernel: 'lanczos3' });
  }
  const buf = await pipeline.png({ compressionLevel: 1, adaptiveFiltering: false }).toBuffer();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

// ---- Colour: YIQ (NTSC), the space Gatys et al. use for "preserving colour". ----

type Pixels = Uint8Array | Float32Array;

/** Interleaved RGB (0..255) → interleaved YIQ (Y in 0..255, I and Q signed, same scale). */
export function rgbToYiq(rgb: Pixels): Float32Array {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    const r = rgb[i]!;
    const g = rgb[i + 1]!;
    const b = rgb[i + 2]!;
    out[i] = 0.299 * r + 0.587 * g + 0.114 * b;
    out[i + 1] = 0.595716 * r - 0.274453 * g - 0.321263 * b;
    out[i + 2] = 0.211456 * r - 0.522591 * g + 0.311135 * b;
  }
  return out;
}

/** Interleaved YIQ → interleaved RGB (float, not clamped). */
export function yiqToRgb(yiq: Float32Array): Float32Array {
  const out = new Float32Array(yiq.length);
  for (let i = 0; i + 2 < yiq.length; i += 3) {
    const y = yiq[i]!;
    const iq = yiq[i + 1]!;
    const q = yiq[i + 2]!;
    out[i] = y + 0.9563 * iq + 0.621 * q;
    out[i + 1] = y - 0.2721 * iq - 0.6474 * q;
    out[i + 2] = y - 1.107 * iq + 1.7046 * q;
  }
  return out;
}

/** Luminance Y (0..255) per pixel, length width*height. */
export function toLuma(img: RgbImage): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n);
  const d = img.data;
  for (let p = 0; p < n; p++) out[p] = 0.299 * d[p * 3]! + 0.587 * d[p * 3 + 1]! + 0.114 * d[p * 3 + 2]!;
  return out;
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/** A grey RGB image from a luma plane (what the network sees in luminance-only transfer). */
export function lumaToRgb(luma: Float32Array, width: number, height: number): RgbImage {
  const n = width * height;
  if (luma.length !== n) throw new RangeError(`luma has ${luma.length} values, expected ${n}`);
  const data = new Uint8Array(n * 3);
  for (let p = 0; p < n; p++) {
    const v = clampByte(luma[p]!);
    data[p * 3] = v;
    data[p * 3 + 1] = v;
    data[p * 3 + 2] = v;
  }
  return { data, width, height };
}

/** Shifts and scales `source` so its mean and standard deviation match `reference`'s. */
export function matchLuma(source: Float32Array, reference: Float32Array): Float32Array {
  const stats = (a: Float32Array) => {
    let sum = 0;
    for (const v of a) sum += v;
    const mean = a.length ? sum / a.length : 0;
    let sq = 0;
    for (const v of a) sq += (v - mean) ** 2;
    return { mean, std: a.length ? Math.sqrt(sq / a.length) : 0 };
  };
  const s = stats(source);
  const r = stats(reference);
  const gain = s.std > 1e-6 ? r.std / s.std : 1;
  const out = new Float32Array(source.length);
  for (let i = 0; i < source.length; i++) out[i] = (source[i]! - s.mean) * gain + r.mean;
  return out;
}

/**
 * The content's colours with new brightness: Y from `luma` (a plane, or an image whose luma is
 * taken), I and Q from `content`. Sizes must match.
 */
export function combineLumaWithChroma(luma: Float32Array | RgbImage, content: RgbImage): RgbImage {
  const y = luma instanceof Float32Array ? luma : toLuma(luma);
  const n = content.width * content.height;
  if (y.length !== n) {
    throw new RangeError(`luma has ${y.length} pixels but the content image has ${n}`);
  }
  return { data: toBytes(underContentChroma((p) => y[p]!, content)), width: content.width, height: content.height };
}

/**
 * `pixels` (float RGB, e.g. an image being optimised) with its brightness kept and the content's
 * colours put back; floats clamped to 0..255, not rounded, so optimisation can go on from them.
 */
export function keepContentChroma(pixels: Float32Array, content: RgbImage): Float32Array {
  const ours = rgbToYiq(pixels);
  return underContentChroma((p) => ours[p * 3]!, content);
}

/** Y per pixel from `luma`, I and Q from `content`, back to RGB clamped to 0..255. */
function underContentChroma(luma: (pixel: number) => number, content: RgbImage): Float32Array {
  const yiq = rgbToYiq(content.data);
  for (let p = 0; p < content.width * content.height; p++) yiq[p * 3] = luma(p);
  const rgb = yiqToRgb(yiq);
  for (let i = 0; i < rgb.length; i++) rgb[i] = rgb[i]! <= 0 ? 0 : rgb[i]! >= 255 ? 255 : rgb[i]!;
  return rgb;
}

/** Float pixels to bytes: rounded and clamped to 0..255. */
export function toBytes(pixels: Float32Array): Uint8Array {
  const out = new Uint8Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = clampByte(pixels[i]!);
  return out;
}
