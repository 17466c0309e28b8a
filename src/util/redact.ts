/**
 * The one way a URL reaches a log line or a message: signed URLs carry their credentials in the
 * query string (`?X-Amz-Signature=…`, `?token=…`) and others in `user:password@`, so the userinfo,
 * every query value and the fragment are hidden; the scheme, host, path and parameter names stay,
 * which is what an operator needs to tell which address failed. Local paths carry no credentials
 * and are shown as they are.
 */

export const HIDDEN = '***';

/** `value` with any credentials hidden when it is a URL; anything else unchanged. */
export function redactUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return value;
  }
  if (url.protocol === 'file:' || !url.host) return value;
  const secretive = url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '';
  if (!secretive) return value;
  const userinfo = url.username !== '' || url.password !== '' ? `${HIDDEN}@` : '';
  const names = [...new Set(url.searchParams.keys())];
  const query = url.search === '' ? '' : `?${names.map((n) => `${encodeURIComponent(n)}=${HIDDEN}`).join('&') || HIDDEN}`;
  const fragment = url.hash === '' ? '' : `#${HIDDEN}`;
  return `${url.protocol}//${userinfo}${url.host}${url.pathname}${query}${fragment}`;
}

/** Anything shaped like `scheme://…` inside free text (an error message, a stack). */
const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** `text` with every URL in it redacted (see redactUrl). */
export function redactUrlsIn(text: string): string {
  return text.replace(URL_IN_TEXT, (found) => redactUrl(found));
}
