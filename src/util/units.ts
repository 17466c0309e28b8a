/**
 * The one formatter of each unit people read: durations, byte counts and pixel counts. A leaf:
 * the engine's sentences use it as well as the queue's, the commands' and the CLI's.
 */

/** "42 s", "3 min", "1 h 5 min". */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** "900 bytes", "512 KB", "1.5 MB", "20 MB". */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  const mb = n / (1024 * 1024);
  return `${mb >= 10 ? mb.toFixed(0) : mb.toFixed(1)} MB`;
}

/** "0.3 megapixels", "1.2 megapixels", "50 megapixels". */
export function formatMegapixels(pixels: number): string {
  const mp = pixels / 1_000_000;
  return `${mp >= 10 ? mp.toFixed(0) : mp.toFixed(1)} megapixels`;
}
