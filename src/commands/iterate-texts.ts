/** The words of the More style / Less style / HD buttons (iterate.ts), on every platform. */

export const ITERATE_LABELS = { more: 'More style', less: 'Less style', hd: 'HD' } as const;

const fmt = (strength: number): string => String(Number(strength.toFixed(2)));

/** The first line of a job made from another: what it came from and what changed. */
export function originText(kind: 'more' | 'less' | 'hd', parentRequestId: string | undefined, detail: { strength?: number; size?: number }): string {
  const parent = parentRequestId ? `request ${parentRequestId}` : 'an earlier picture';
  switch (kind) {
    case 'more':
      return `More style of ${parent} (strength ${fmt(detail.strength ?? 0)}).`;
    case 'less':
      return `Less style of ${parent} (strength ${fmt(detail.strength ?? 0)}).`;
    case 'hd':
      return `HD of ${parent} (${detail.size ?? 0} px, painted from that picture).`;
  }
}

export function mostStyleText(max: number): string {
  return `This picture already has the most style the bot gives (strength ${fmt(max)}); try Reroll for another take.`;
}

export function leastStyleText(min: number): string {
  return `This picture already has the least style the bot gives (strength ${fmt(min)}); try Reroll for another take.`;
}

export function largestAlreadyText(sizeCap: number): string {
  return `This picture is already ${sizeCap} px, the largest this bot makes; HD cannot make it bigger.`;
}

export function noResultKeptText(): string {
  return 'HD needs the finished picture, and this job has none kept (it did not finish, or it was made before the bot kept pictures). Try Reroll.';
}

/** /help: what the buttons under a picture do. */
export function iterateHelpText(step: number, bounds: { min: number; max: number }, sizeCap: number, bold: (s: string) => string): string {
  return (
    `${bold('More style')} / ${bold('Less style')} paint the same picture again with strength one step of ${fmt(step)} up or down ` +
    `(from ${fmt(bounds.min)} to ${fmt(bounds.max)}; the seed stays the same), and ${bold('HD')} paints it at twice the size ` +
    `(up to ${sizeCap} px), starting from the picture itself so it keeps its composition. ` +
    `Example: a picture at strength 0.5 → Less style → 0.4 → HD → the same at twice the size.`
  );
}
