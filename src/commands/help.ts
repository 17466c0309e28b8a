/** /help on every platform: every option with its range, default and an example, from the one schema. */
import { STRENGTH_BOUNDS, STRENGTH_STEP } from './iterate.js';
import { iterateHelpText } from './iterate-texts.js';
import { helpLines, IMAGE_INPUTS, optionsFor } from './options.js';
import { libraryHelp } from './style-library/help.js';
import { helpText } from './texts.js';

export const name = 'help';
export const description = 'What /stylize does and what each option means.';

export interface Markup {
  bold: (s: string) => string;
  code: (s: string) => string;
}

export function help(surface: 'discord' | 'slack', sizeCap: number, markup: Markup): string {
  const examples =
    surface === 'discord'
      ? (() => {
          const images = IMAGE_INPUTS.filter((i) => i.required).map((i) => `${i.name}:${i.placeholder}`).join(' ');
          const tried = optionsFor('discord')
            .filter((d) => d.example !== undefined)
            .map((d) => `${d.name}:${d.example}`);
          return [`/stylize ${images}`, `/stylize ${images} ${tried.join(' ')}`, `/stylize ${images} preserve_colors:true seed:42 private:true`];
        })()
      : [];
  return `${helpText({ surface, optionLines: helpLines(surface, sizeCap), examples, ...markup })}\n${iterateHelpText(STRENGTH_STEP, STRENGTH_BOUNDS, sizeCap, markup.bold)}\n\n${libraryHelp(surface, markup)}`;
}
