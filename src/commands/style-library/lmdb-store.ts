/**
 * The style library in an embedded LMDB database (lmdb on npm: prebuilt binaries in registry
 * packages, nothing built or downloaded at install). LMDB commits are atomic and copy-on-write, and
 * a commit is synced to disk before `add` resolves, so a process killed at any moment keeps every
 * style it confirmed and never shows a half-written one. Several processes may open the same file.
 */
import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import { byName, nameKey, type AddOutcome, type StoredStyle, type StyleStore, type StyleSummary } from './store.js';

type Key = [string, string];

export class LmdbStyleStore implements StyleStore {
  private readonly root: RootDatabase;
  /** Summaries (with thumbnails), read by lists. */
  private readonly summaries: Database<StyleSummary, Key>;
  /** The paintings, read only by jobs. */
  private readonly images: Database<Uint8Array, Key>;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    // Thumbnails and JPEGs do not compress further; sync on every commit is LMDB's default.
    this.root = open({ path: dir, compression: false, maxDbs: 4 });
    this.summaries = this.root.openDB<StyleSummary, Key>({ name: 'summaries' });
    this.images = this.root.openDB<Uint8Array, Key>({ name: 'images', encoding: 'binary' });
  }

  private range(library: string) {
    // Array keys sort element by element: every [library, …] lies below [library + '\0'].
    return { start: [library, ''] as Key, end: [`${library}\u0000`] as unknown as Key };
  }

  async add(library: string, style: StoredStyle, max: number): Promise<AddOutcome> {
    const key: Key = [library, nameKey(style.name)];
    const { image, ...summary } = style;
    // One write transaction: the checks and both writes see no other writer in between.
    return this.root.transaction(() => {
      if (this.summaries.doesExist(key)) return 'duplicate';
      if (this.summaries.getCount(this.range(library)) >= max) return 'full';
      void this.images.put(key, Buffer.from(image.buffer, image.byteOffset, image.byteLength));
      void this.summaries.put(key, { ...summary, thumbnail: Buffer.from(summary.thumbnail) });
      return 'added' as const;
    });
  }

  async list(library: string): Promise<StyleSummary[]> {
    const out: StyleSummary[] = [];
    for (const { value } of this.summaries.getRange(this.range(library))) out.push(value);
    return out.sort(byName);
  }

  async get(library: string, name: string): Promise<StoredStyle | undefined> {
    const key: Key = [library, nameKey(name)];
    // Both parts or nothing: a remove between the two reads shows as no style.
    const summary = this.summaries.get(key);
    const image = this.images.getBinary(key);
    return summary && image ? { ...summary, thumbnail: new Uint8Array(summary.thumbnail), image: new Uint8Array(image) } : undefined;
  }

  async remove(library: string, name: string): Promise<boolean> {
    const key: Key = [library, nameKey(name)];
    return this.root.transaction(() => {
      if (!this.summaries.doesExist(key)) return false;
      void this.summaries.remove(key);
      void this.images.remove(key);
      return true;
    });
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
