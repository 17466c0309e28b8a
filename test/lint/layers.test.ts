/**
 * The layer rule of eslint.config.js, run on code placed (in name only) where it would break the
 * layering: it must fail there and pass where the same import is allowed.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === 'layers/import-direction').map((m) => m.message);
}

describe('imports point one way: engine ← queue ← commands ← bot ← app/cli', () => {
  it('refuses the engine importing the queue, the queue importing commands, commands importing a bot', async () => {
    expect(await problems('src/engine/wrong.ts', "import type { JobQueuePort } from '../queue/port.js';\nexport type X = JobQueuePort;\n")).toEqual([
      expect.stringMatching(/src\/engine may not import src\/queue\/port\.js/),
    ]);
    expect(await problems('src/queue/wrong.ts', "export { queuedText } from '../commands/texts.js';\n")).toEqual([expect.stringMatching(/one way/)]);
    expect(await problems('src/commands/wrong.ts', "import { DiscordJobView } from '../bot/discord/job-view.js';\nexport const v = DiscordJobView;\n")).toEqual([
      expect.stringMatching(/src\/commands may not import src\/bot\/discord\/job-view\.js/),
    ]);
    // Dynamic imports count too.
    expect(await problems('src/engine/wrong.ts', "export const load = () => import('../app.js');\n")).toHaveLength(1);
  });

  it('keeps discord.js in src/bot/discord, Bolt in src/bot/slack, and each platform to itself', async () => {
    expect(await problems('src/commands/wrong.ts', "import { Client } from 'discord.js';\nexport const c = Client;\n")).toEqual(['Only src/bot/discord imports discord.js.']);
    expect(await problems('src/bot/discord/ok.ts', "import { Client } from 'discord.js';\nexport const c = Client;\n")).toEqual([]);
    expect(await problems('src/bot/discord/wrong.ts', "import { App } from '@slack/bolt';\nexport const a = App;\n")).toEqual(['Only src/bot/slack imports Slack Bolt.']);
    expect(await problems('src/bot/slack/wrong.ts', "import { renderScreen } from '../discord/views.js';\nexport const r = renderScreen;\n")).toEqual([
      expect.stringMatching(/src\/bot\/slack may not import src\/bot\/discord/),
    ]);
  });

  it('lets every layer import downwards and use the shared leaves', async () => {
    expect(await problems('src/bot/slack/ok.ts', "import { queuedText } from '../../commands/texts.js';\nimport { formatBytes } from '../../util/units.js';\nexport const q = [queuedText, formatBytes];\n")).toEqual([]);
    expect(await problems('src/app.ts', "import { startDiscordBot } from './bot/discord/bot.js';\nexport const s = startDiscordBot;\n")).toEqual([]);
    expect(await problems('src/util/wrong.ts', "import { help } from '../commands/help.js';\nexport const h = help;\n")).toEqual([expect.stringMatching(/leaf/)]);
  });

  it('lets code outside the engine in through src/engine/index.ts only, types included', async () => {
    expect(await problems('src/queue/wrong.ts', "import { planScales } from '../engine/schedule.js';\nexport const p = planScales;\n")).toEqual([
      'src/queue/wrong.ts may reach the engine only through src/engine/index.ts, not src/engine/schedule.js.',
    ]);
    expect(await problems('src/commands/wrong.ts', "import type { StylizeOptions } from '../engine/types.js';\nexport type O = StylizeOptions;\n")).toHaveLength(1);
    expect(await problems('src/config.ts', "export const load = () => import('./engine/weights/index.js');\n")).toHaveLength(1);
    expect(await problems('src/queue/ok.ts', "import { planScales, type StylizeOptions } from '../engine/index.js';\nexport const p = planScales;\nexport type O = StylizeOptions;\n")).toEqual([]);
    expect(await problems('src/engine/onnx/ok.ts', "import { StylizeError } from '../errors.js';\nexport const e = StylizeError;\n")).toEqual([]);
  });

  it('keeps tfjs in src/engine/tfjs, reached from the rest of the engine only by types or a dynamic import()', async () => {
    expect(await problems('src/engine/onnx/wrong.ts', "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n")).toEqual(['Only src/engine/tfjs imports tfjs.']);
    expect(await problems('src/engine/runtime/wrong.ts', "import { startTfjsRuntime } from '../tfjs/runtime.js';\nexport const s = startTfjsRuntime;\n")).toEqual([
      expect.stringMatching(/src\/engine\/runtime\/wrong\.ts may reach src\/engine\/tfjs only by a type import or a dynamic import\(\)/),
    ]);
    expect(await problems('src/engine/runtime/ok.ts', "export const load = () => import('../tfjs/runtime.js');\n")).toEqual([]);
    expect(await problems('src/engine/ok.ts', "export type { BackendInfo } from './tfjs/backend.js';\n")).toEqual([]);
    expect(await problems('src/engine/tfjs/ok.ts', "import * as tf from '@tensorflow/tfjs';\nimport { gram } from './ops.js';\nexport const t = [tf, gram];\n")).toEqual([]);
  });
});
