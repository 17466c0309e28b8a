/** Every sentence of the style library, the same on every platform. */
import { formatBytes } from '../../util/units.js';

export const NAME_RULE = '1 to 32 letters, digits, spaces, - or _';

export function badNameText(name: string): string {
  return `"${name.slice(0, 40)}" cannot be a style name: use ${NAME_RULE}.`;
}
export function duplicateNameText(name: string): string {
  return `This server already has a style called "${name}". Pick another name, or remove that one first with /style remove.`;
}
export function libraryFullText(max: number): string {
  return `This server's style library is full (${max} styles). Remove one with /style remove before saving another.`;
}
export function savedText(name: string, withVector: boolean): string {
  const fast = withVector ? '' : ' (The instant preview will compute its style numbers each time: the fast network is not set up here.)';
  return `Saved the style "${name}". Use it with /stylize style_name:${name}, or right-click a photo → Apps → Stylize this photo.${fast}`;
}
export function noSuchStyleText(name: string): string {
  return `This server has no style called "${name.slice(0, 40)}". /style list shows the saved ones.`;
}
export function removedText(name: string): string {
  return `Removed the style "${name}".`;
}
export function notYoursText(name: string, platform: 'discord' | 'slack'): string {
  const who = platform === 'slack' ? 'a workspace admin' : 'a member who can manage messages';
  return `Only the member who saved "${name}", or ${who}, can remove it.`;
}
export function emptyLibraryText(): string {
  return 'This server has no saved styles yet. Save one with /style save name:<name> image:<painting>, or right-click a picture → Apps → Save as style.';
}
export function listHeaderText(total: number, page: number, pages: number): string {
  const more = pages > 1 ? ` Page ${page} of ${pages}${page < pages ? ` (/style list page:${page + 1} for more)` : ''}.` : '';
  return `${total} saved style${total === 1 ? '' : 's'} on this server.${more}`;
}
export function noSuchPageText(pages: number): string {
  return `There ${pages === 1 ? 'is 1 page' : `are ${pages} pages`} of styles.`;
}
export function savedByLine(ownerMention: string, width: number, height: number): string {
  return `${width}×${height}, saved by ${ownerMention}`;
}
export function noStyleGivenText(): string {
  return 'Give a style: attach a painting as style, or pick a saved one with style_name.';
}
export function noImageInMessageText(): string {
  return 'That message has no picture in it. Right-click a message with an image (an attachment), then pick the app again.';
}
export function imageOverLimitText(name: string, size: number, max: number): string {
  return `The picture in that message (${name}) is ${formatBytes(size)}; the limit is ${formatBytes(max)}.`;
}
export function libraryOffText(): string {
  return 'The style library is not set up on this bot.';
}
export function needServerText(): string {
  return 'The style library belongs to a server: use this in a server channel.';
}
export function formExpiredText(): string {
  return 'This form is too old: its picture is no longer at hand. Right-click the message and pick the app again.';
}
export const LIBRARY_LABELS = {
  stylizeThisPhoto: 'Stylize this photo',
  saveAsStyle: 'Save as style',
  styleField: 'Saved style',
  strengthField: 'Strength (0 to 1, empty = 0.5)',
  nameField: 'Style name',
  submit: 'Go',
} as const;
