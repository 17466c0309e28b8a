/** Hostile pictures made on the fly from the shared fixtures (nothing binary is committed). */
import sharp from 'sharp';
import { image } from '../../support/fixtures.js';

/** The udnie painting squeezed to `width`×`height`: a panorama or a banner as a style. */
export async function stretched(width: number, height: number): Promise<Uint8Array> {
  const buf = await sharp(image('udnie.jpg')).resize(width, height, { fit: 'fill' }).jpeg().toBuffer();
  return new Uint8Array(buf);
}
