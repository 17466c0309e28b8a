/** The style library's part of /help: the loop in a short example, per platform. */
import type { Markup } from '../help.js';
import { LIBRARY_LABELS } from './texts.js';

export function libraryHelp(surface: 'discord' | 'slack', { bold, code }: Markup): string {
  const lines =
    surface === 'discord'
      ? [
          `Save a painting once, then paint any photo with it by name:`,
          `• ${code('/style save name:starry image:<painting>')} saves it for this server`,
          `• ${code('/stylize content:<photo> style_name:starry')}: type a few letters and pick it`,
          `• Right-click a message with a picture → Apps → ${bold(LIBRARY_LABELS.stylizeThisPhoto)} (pick a saved style and strength) or ${bold(LIBRARY_LABELS.saveAsStyle)}`,
          `• ${code('/style list')} shows them with thumbnails; ${code('/style remove name:starry')} (the saver, or a member who can manage messages)`,
        ]
      : [
          `Save a painting once, then paint any photo with it by name:`,
          `• On a message with a picture: ⋯ → ${bold(LIBRARY_LABELS.saveAsStyle)} (give it a name, e.g. starry)`,
          `• ${bold('/stylize')}: pick it under ${bold(LIBRARY_LABELS.styleField)} instead of attaching a painting`,
          `• On a message with a photo: ⋯ → ${bold(LIBRARY_LABELS.stylizeThisPhoto)} (pick a saved style and strength)`,
          `• ${code('/style list')}; ${code('/style remove starry')} (the saver, or a workspace admin)`,
        ];
  return [bold('Style library'), ...lines].join('\n');
}
