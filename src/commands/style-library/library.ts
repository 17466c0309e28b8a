/**
 * A server's style library as every platform uses it: save a painting under a name (checked,
 * within the input limits, its style vector computed once), list, find by name, remove (the saver
 * or a moderator). The storage behind it is a StyleStore (LMDB file, or Redis).
 */
import { isStylizeError, savedStyleCard, type ImageLimits, type StylePredictor } from '../../engine/index.js';
import type { Logger } from '../../log.js';
import { checkName } from './names.js';
import { nameKey, type StoredStyle, type StyleStore, type StyleSummary } from './store.js';
import { duplicateNameText, libraryFullText, noSuchPageText, noSuchStyleText, notYoursText, removedText, savedText } from './texts.js';

export interface StyleLibraryOptions {
  store: StyleStore;
  /** STYLE_LIBRARY_MAX: styles per server. */
  max: number;
  /** The input limits a painting must fit (MAX_INPUT_BYTES, MAX_INPUT_PIXELS). */
  limits: ImageLimits;
  /** Opens the fast network's predictor on first use; undefined or a failure: styles are saved without a vector. */
  openPredictor?: () => Promise<StylePredictor>;
  logger: Logger;
}

export type Answer = { ok: true; message: string } | { ok: false; message: string };

export interface Remover {
  userId: string;
  /** Discord: Manage Messages; Slack: a workspace admin. */
  moderator: boolean;
  platform: 'discord' | 'slack';
}

/** Styles a page of /style list shows (Discord shows at most 10 embeds in one message). */
export const PAGE_SIZE = 10;
/** Discord offers at most 25 autocomplete choices. */
export const SUGGESTIONS = 25;

export class StyleLibrary {
  private predictor: Promise<StylePredictor | undefined> | undefined;

  constructor(private readonly opts: StyleLibraryOptions) {}

  get max(): number {
    return this.opts.max;
  }

  private vectorMaker(): Promise<StylePredictor | undefined> {
    const open = this.opts.openPredictor;
    this.predictor ??= open
      ? open().catch((err: unknown) => {
          this.opts.logger.warn({ err }, 'style library: the fast style predictor could not open; styles are saved without a style vector');
          return undefined;
        })
      : Promise.resolve(undefined);
    return this.predictor;
  }

  /** Checks the name and the painting, then stores it; the answer is the sentence for the user. */
  async save(library: string, input: { name: string; ownerId: string; image: Uint8Array }): Promise<Answer> {
    const checked = checkName(input.name);
    if ('error' in checked) return { ok: false, message: checked.error };
    const { name } = checked;
    // Cheap refusals first: no decoding for a name that is taken or a library that is full.
    const existing = await this.opts.store.list(library);
    if (existing.some((s) => nameKey(s.name) === nameKey(name))) return { ok: false, message: duplicateNameText(name) };
    if (existing.length >= this.opts.max) return { ok: false, message: libraryFullText(this.opts.max) };
    let card;
    try {
      card = await savedStyleCard(input.image, { limits: this.opts.limits, label: 'style image', predictor: await this.vectorMaker() });
    } catch (e) {
      if (isStylizeError(e)) return { ok: false, message: e.message };
      throw e;
    }
    const style: StoredStyle = { name, ownerId: input.ownerId, savedAt: Date.now(), ...card, image: input.image };
    // The store checks again in one atomic step: two saves at once cannot both pass.
    const outcome = await this.opts.store.add(library, style, this.opts.max);
    if (outcome === 'duplicate') return { ok: false, message: duplicateNameText(name) };
    if (outcome === 'full') return { ok: false, message: libraryFullText(this.opts.max) };
    this.opts.logger.info({ library, style: name, bytes: input.image.length, vector: card.vector !== undefined }, 'style saved');
    return { ok: true, message: savedText(name, card.vector !== undefined) };
  }

  list(library: string): Promise<StyleSummary[]> {
    return this.opts.store.list(library);
  }

  /** One page (1-based) of the list, or the sentence when there is no such page. */
  async page(library: string, page: number): Promise<{ styles: StyleSummary[]; total: number; pages: number } | { error: string }> {
    const all = await this.list(library);
    const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
    if (page < 1 || page > pages) return { error: noSuchPageText(pages) };
    return { styles: all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), total: all.length, pages };
  }

  /** Names for autocomplete: those starting with what was typed first, then those containing it. */
  async suggest(library: string, typed: string): Promise<string[]> {
    const t = nameKey(typed);
    const names = (await this.list(library)).map((s) => s.name);
    const starts = names.filter((n) => nameKey(n).startsWith(t));
    const contains = names.filter((n) => !nameKey(n).startsWith(t) && nameKey(n).includes(t));
    return [...starts, ...contains].slice(0, SUGGESTIONS);
  }

  /** The style, or the sentence that it is not there. */
  async find(library: string, name: string): Promise<StoredStyle | { error: string }> {
    return (await this.opts.store.get(library, name)) ?? { error: noSuchStyleText(name) };
  }

  async remove(library: string, name: string, who: Remover): Promise<Answer> {
    const style = await this.opts.store.get(library, name);
    if (!style) return { ok: false, message: noSuchStyleText(name) };
    if (style.ownerId !== who.userId && !who.moderator) return { ok: false, message: notYoursText(style.name, who.platform) };
    if (!(await this.opts.store.remove(library, name))) return { ok: false, message: noSuchStyleText(name) };
    this.opts.logger.info({ library, style: style.name, by: who.userId }, 'style removed');
    return { ok: true, message: removedText(style.name) };
  }

  async close(): Promise<void> {
    await this.opts.store.close();
    (await this.predictor)?.dispose();
  }
}
