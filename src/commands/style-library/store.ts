/**
 * Where a server's saved styles live: the port both storages implement. A library is one server
 * (a Discord guild, a Slack workspace), named `platform:serverId`, so no server reads another's.
 * Every write is one atomic step: a style is stored whole (image, thumbnail, vector) or not at all.
 */

/** What a list shows of a style. */
export interface StyleSummary {
  /** As the saver typed it; `nameKey` makes names unique without regard to case. */
  name: string;
  ownerId: string;
  savedAt: number;
  width: number;
  height: number;
  /** JPEG, at most 128 px. */
  thumbnail: Uint8Array;
  /** The fast network's style vector, computed once at save (absent where the fast models were not set up). */
  vector?: number[];
}

export interface StoredStyle extends StyleSummary {
  /** The painting as uploaded (within the input limits). */
  image: Uint8Array;
}

export type AddOutcome = 'added' | 'duplicate' | 'full';

export interface StyleStore {
  /** Adds the style unless its name is taken or the library holds `max` styles already: one atomic step. */
  add(library: string, style: StoredStyle, max: number): Promise<AddOutcome>;
  /** Every style of the library, by name, without the images. */
  list(library: string): Promise<StyleSummary[]>;
  get(library: string, name: string): Promise<StoredStyle | undefined>;
  /** False when there was no such style. */
  remove(library: string, name: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Names are unique without regard to case or repeated spaces: "Starry  night" is "starry night". */
export function nameKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** A library's name: the platform and the server, so a Discord guild and a Slack team never meet. */
export function libraryOf(platform: string, serverId: string): string {
  return `${platform}:${serverId}`;
}

export function byName(a: { name: string }, b: { name: string }): number {
  return nameKey(a.name).localeCompare(nameKey(b.name));
}
