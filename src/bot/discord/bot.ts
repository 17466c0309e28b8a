/**
 * The Discord client: Guilds intent only, REST pointed at DISCORD_API_URL, interactions routed to
 * the command modules and the buttons. Every failure reaches the user as a sentence with a request id.
 */
import { Client, Events, GatewayIntentBits, type Interaction } from 'discord.js';
import type { CommandContext } from '../../commands/context.js';
import { newRequestId } from '../../commands/request-id.js';
import { internalErrorText, unknownCommandText } from '../../commands/texts.js';
import { refusedCredential, type Env } from '../../config.js';
import { PendingWork } from '../../util/pending-work.js';
import { handleButton } from './buttons.js';
import { COMMANDS } from './commands/index.js';
import { DEFAULT_TUNING, type DiscordContext, type DiscordTuning } from './context.js';
import { DiscordJobView } from './job-view.js';
import { autocompleteStyle, isLibraryApp, isLibraryForm, openLibraryApp, submitLibraryForm } from './library-apps.js';
import { tellPrivately } from './respond.js';

export interface DiscordBot {
  client: Client;
  /** Resolves once the gateway session is ready. */
  ready: Promise<void>;
  /** 'connecting' | 'ready' | 'stopped'. */
  readonly status: string;
  /** Waits (up to `timeoutMs`) for the job messages still being written, then disconnects. */
  stop(timeoutMs?: number): Promise<void>;
}

export interface DiscordBotOptions {
  env: Env;
  /** The shared context; this bot registers its view with `commands.flow`. */
  commands: CommandContext;
  tuning?: Partial<DiscordTuning>;
}

export async function startDiscordBot(opts: DiscordBotOptions): Promise<DiscordBot> {
  const { env } = opts;
  const logger = opts.commands.logger.child({ platform: 'discord' });
  if (!env.DISCORD_TOKEN) throw new Error('startDiscordBot needs DISCORD_TOKEN');
  const client = new Client({
    intents: [GatewayIntentBits.Guilds],
    // Tests and self-hosted proxies point this at another host; discord.js appends /v10.
    rest: { api: env.DISCORD_API_URL },
  });
  const pending = new PendingWork();
  const tuning = { ...DEFAULT_TUNING, ...opts.tuning };
  const ctx: DiscordContext = { ...opts.commands, logger, env, rest: client.rest, tuning };
  // After a restart, jobs the queue kept are answered through the same webhook endpoints.
  ctx.flow.register('discord', (reply) => DiscordJobView.fromReply(client.rest, reply, { tuning, logger }));
  const commands = new Map(COMMANDS.map((c) => [c.name, c]));
  let status = 'connecting';

  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    pending.track(handle(interaction));
  });
  client.on(Events.Error, (err) => logger.error({ err }, 'discord client error'));
  client.on(Events.ShardDisconnect, (event) => logger.warn({ code: event.code }, 'gateway disconnected'));

  async function handle(interaction: Interaction): Promise<void> {
    try {
      if (interaction.isChatInputCommand()) {
        const command = commands.get(interaction.commandName);
        if (!command) {
          await tellPrivately(interaction, unknownCommandText());
          return;
        }
        await command.execute(interaction, ctx);
      } else if (interaction.isButton()) {
        await handleButton(interaction, ctx);
      } else if (interaction.isAutocomplete()) {
        await autocompleteStyle(interaction, ctx);
      } else if (interaction.isMessageContextMenuCommand() && isLibraryApp(interaction.commandName)) {
        await openLibraryApp(interaction, ctx);
      } else if (interaction.isModalSubmit() && isLibraryForm(interaction.customId)) {
        await submitLibraryForm(interaction, ctx);
      }
    } catch (err) {
      const requestId = newRequestId();
      logger.error({ err, requestId, userId: interaction.user.id }, 'interaction failed');
      if (interaction.isRepliable()) {
        await tellPrivately(interaction, internalErrorText(requestId)).catch((e: unknown) =>
          logger.error({ err: e, requestId }, 'could not tell the user about the failure'),
        );
      }
    }
  }

  const ready = new Promise<void>((resolve) => {
    client.once(Events.ClientReady, (c) => {
      status = 'ready';
      logger.info({ user: c.user.tag, guilds: c.guilds.cache.size }, 'discord connected');
      resolve();
    });
  });
  await client.login(env.DISCORD_TOKEN).catch(async (e: unknown) => {
    await client.destroy();
    // The same one line as any configuration error (and as Slack's refused token).
    if ((e as { code?: unknown }).code === 'TokenInvalid') throw refusedCredential('DISCORD_TOKEN', 'Discord', 'invalid token');
    throw e;
  });
  // REST calls made for resumed jobs before the gateway is up need the token too.
  client.rest.setToken(env.DISCORD_TOKEN);

  return {
    client,
    ready,
    get status() {
      return status;
    },
    async stop(timeoutMs = 30_000) {
      await pending.drain(timeoutMs);
      status = 'stopped';
      await client.destroy();
    },
  };
}
