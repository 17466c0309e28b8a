/**
 * A request's one wire form, for where it is stored as JSON (Redis job data, kept inputs): the
 * same fields, with each picture's bytes in base64.
 */
import type { StyleImage, StylizeRequest } from '../engine/index.js';

export type WireRequest<R extends StylizeRequest = StylizeRequest> = Omit<R, 'content' | 'styles' | 'initImage'> & {
  content: string;
  styles: (Omit<StyleImage, 'bytes'> & { bytes: string })[];
  initImage?: string;
};

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'base64'));

export function encodeRequest<R extends StylizeRequest>(request: R): WireRequest<R> {
  const { content, styles, initImage, ...rest } = request;
  return {
    ...rest,
    content: toBase64(content),
    styles: styles.map((s) => ({ ...s, bytes: toBase64(s.bytes) })),
    ...(initImage ? { initImage: toBase64(initImage) } : {}),
  };
}

export function decodeRequest<R extends StylizeRequest>(wire: WireRequest<R>): R {
  const { content, styles, initImage, ...rest } = wire;
  return {
    ...rest,
    content: fromBase64(content),
    styles: styles.map((s) => ({ ...s, bytes: fromBase64(s.bytes) })),
    ...(initImage !== undefined ? { initImage: fromBase64(initImage) } : {}),
  } as unknown as R;
}
