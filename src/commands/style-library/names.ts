/** Style names: what a user may type, and the sentence when it is not that. */
import { badNameText } from './texts.js';

const NAME = /^[A-Za-z0-9 _-]{1,32}$/;

/** The name as it will be shown (trimmed, single spaces), or the sentence why it cannot be one. */
export function checkName(typed: string): { name: string } | { error: string } {
  const name = typed.trim().replace(/\s+/g, ' ');
  return NAME.test(name) ? { name } : { error: badNameText(typed) };
}
