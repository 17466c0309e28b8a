/** Button custom ids: `stylize:<action>:<argument>` (Discord allows 100 characters). */
export type ButtonAction = 'cancel' | 'reroll' | 'params' | 'keep' | 'more' | 'less' | 'hd';

export function customId(action: ButtonAction, arg: string): string {
  return `stylize:${action}:${arg}`;
}

export function parseCustomId(id: string): { action: ButtonAction; arg: string } | undefined {
  const m = /^stylize:(cancel|reroll|params|keep|more|less|hd):(.+)$/.exec(id);
  return m ? { action: m[1] as ButtonAction, arg: m[2]! } : undefined;
}
