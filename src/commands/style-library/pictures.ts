/**
 * The picture a right-click app was used on, kept while its small form is open (the form's
 * answer carries only a key). Bounded by age and count; a form answered after that gets a sentence.
 */
import { randomBytes } from 'node:crypto';
import type { AttachmentRef } from '../attachments.js';
import { imageOverLimitText, noImageInMessageText } from './texts.js';

/** A file of a chat message as the platforms describe it. */
export interface MessageFile {
  url: string;
  name: string;
  size?: number;
  contentType?: string;
}

const IMAGE_NAME = /\.(png|jpe?g|webp|gif|avif|tiff?)$/i;

/** The message's first picture as an attachment to download, or the sentence why there is none to use. */
export function pictureOf(files: readonly MessageFile[], maxBytes: number, label: string): AttachmentRef | { error: string } {
  const picture = files.find((f) => f.contentType?.startsWith('image/') ?? IMAGE_NAME.test(f.name));
  if (!picture) return { error: noImageInMessageText() };
  if (picture.size !== undefined && picture.size > maxBytes) return { error: imageOverLimitText(picture.name, picture.size, maxBytes) };
  return { url: picture.url, name: picture.name, size: picture.size, label };
}

export class PendingPictures<T> {
  private readonly entries = new Map<string, { value: T; expiresAt: number }>();

  constructor(
    private readonly keepMs = 15 * 60_000,
    private readonly maxEntries = 1000,
  ) {}

  put(value: T): string {
    const now = Date.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= now || this.entries.size >= this.maxEntries) this.entries.delete(k);
    const key = randomBytes(9).toString('base64url');
    this.entries.set(key, { value, expiresAt: now + this.keepMs });
    return key;
  }

  /** The value, left in place: a form refused field by field (Slack) is sent again. */
  peek(key: string): T | undefined {
    const e = this.entries.get(key);
    return e && e.expiresAt > Date.now() ? e.value : undefined;
  }

  /** The value once: a form that was answered is done. */
  take(key: string): T | undefined {
    const value = this.peek(key);
    this.entries.delete(key);
    return value;
  }
}
