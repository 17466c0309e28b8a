/**
 * The style library on Slack: `/style list | remove <name>`, and the message shortcuts on any
 * message with a picture (Stylize this photo, Save as style), each asking in a small modal, then
 * running as the /stylize form or a save would. A workspace is one library.
 */
import type { App, MessageShortcut, webApi } from '@slack/bolt';
import { downloadImage, InputError, type AttachmentRef, type DownloadPolicy } from '../../commands/attachments.js';
import type { CommandContext } from '../../commands/context.js';
import { OptionError, parseOptions } from '../../commands/options.js';
import { newRequestId } from '../../commands/request-id.js';
import { savedStyleImage } from '../../commands/style-library/by-name.js';
import { PAGE_SIZE } from '../../commands/style-library/library.js';
import { checkName } from '../../commands/style-library/names.js';
import { pictureOf } from '../../commands/style-library/pictures.js';
import { libraryOf } from '../../commands/style-library/store.js';
import { emptyLibraryText, formExpiredText, LIBRARY_LABELS, libraryOffText, listHeaderText, savedByLine } from '../../commands/style-library/texts.js';
import { stylize } from '../../commands/stylize.js';
import { internalErrorText, LABELS } from '../../commands/texts.js';
import type { Logger } from '../../log.js';
import { SlackJobView, type SlackViewOptions } from './job-view.js';
import { LIBRARY_BLOCK, savedStyleSelect } from './modal.js';

type WebClient = webApi.WebClient;

export const STYLIZE_PHOTO_SHORTCUT = 'stylize_this_photo';
export const SAVE_STYLE_SHORTCUT = 'save_as_style';
const STYLIZE_PHOTO_VIEW = 'library_stylize_photo';
const SAVE_STYLE_VIEW = 'library_save_style';
const STRENGTH_BLOCK = 'library_strength';
const NAME_BLOCK = 'library_name';

export interface SlackLibraryDeps {
  ctx: CommandContext;
  maxInputBytes: number;
  download: DownloadPolicy;
  viewOptions: (client: WebClient, logger: Logger) => SlackViewOptions;
  track: (p: Promise<void>) => void;
  tell: (client: WebClient, who: { channel: string; userId: string }, text: string, log: Logger) => Promise<void>;
  logger: Logger;
}

/** What a shortcut's form carries to its submission, in its private_metadata: any chat process can answer it, after a restart too. */
interface Pending {
  picture: AttachmentRef;
  channel: string;
}

function readPending(metadata: string): Pending | undefined {
  try {
    const p = JSON.parse(metadata) as Partial<Pending>;
    const ok = typeof p.channel === 'string' && typeof p.picture?.url === 'string' && typeof p.picture.label === 'string';
    return ok ? (p as Pending) : undefined;
  } catch {
    return undefined;
  }
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });

export function registerLibrary(app: App, deps: SlackLibraryDeps): void {
  const { ctx, logger: log } = deps;
  const teamOf = (body: { team?: { id: string } | null; user: { id: string; team_id?: string } }) => body.team?.id ?? body.user.team_id ?? '';

  /** Slack admins and owners may remove any style of the workspace. */
  async function isAdmin(client: WebClient, userId: string): Promise<boolean> {
    const info = await client.users.info({ user: userId }).catch(() => undefined);
    return info?.user?.is_admin === true || info?.user?.is_owner === true;
  }

  app.command('/style', async ({ ack, body, client }) => {
    if (!ctx.styles) return void (await ack({ response_type: 'ephemeral', text: libraryOffText() }));
    const library = libraryOf('slack', body.team_id);
    const [verb = 'list', ...rest] = body.text.trim().split(/\s+/).filter(Boolean);
    if (verb === 'remove') {
      const result = await ctx.styles.remove(library, rest.join(' '), { userId: body.user_id, moderator: await isAdmin(client, body.user_id), platform: 'slack' });
      return void (await ack({ response_type: 'ephemeral', text: result.message }));
    }
    if (verb !== 'list') {
      return void (await ack({ response_type: 'ephemeral', text: `/style list [page] · /style remove <name> · to save: the message's ⋯ menu → ${LIBRARY_LABELS.saveAsStyle}` }));
    }
    const page = await ctx.styles.page(library, Number(rest[0] ?? 1) || 1);
    if ('error' in page) return void (await ack({ response_type: 'ephemeral', text: page.error }));
    if (page.total === 0) return void (await ack({ response_type: 'ephemeral', text: emptyLibraryText() }));
    const first = (Number(rest[0] ?? 1) || 1) - 1;
    const lines = page.styles.map((s, k) => `${first * PAGE_SIZE + k + 1}. *${s.name}* (${savedByLine(`<@${s.ownerId}>`, s.width, s.height)})`);
    await ack({ response_type: 'ephemeral', text: [listHeaderText(page.total, first + 1, page.pages).replace('/style list page:', '/style list '), ...lines].join('\n') });
  });

  /** The message's picture, or a sentence to the user (and undefined). */
  async function pictureOfShortcut(shortcut: MessageShortcut, client: WebClient, label: string): Promise<AttachmentRef | undefined> {
    const who = { channel: shortcut.channel.id, userId: shortcut.user.id };
    if (!ctx.styles) return void (await deps.tell(client, who, libraryOffText(), log));
    const files = ((shortcut.message as { files?: { name?: string; mimetype?: string; size?: number; url_private?: string; url_private_download?: string }[] }).files ?? []).map((f) => ({
      url: f.url_private_download ?? f.url_private ?? '',
      name: f.name ?? 'file',
      size: f.size,
      contentType: f.mimetype,
    }));
    const picture = pictureOf(files, deps.maxInputBytes, label);
    if ('error' in picture) return void (await deps.tell(client, who, picture.error, log));
    return picture;
  }

  app.shortcut<MessageShortcut>(STYLIZE_PHOTO_SHORTCUT, async ({ ack, shortcut, client }) => {
    await ack();
    const picture = await pictureOfShortcut(shortcut, client, 'content image');
    if (!picture || !ctx.styles) return;
    const names = (await ctx.styles.list(libraryOf('slack', teamOf(shortcut)))).map((s) => s.name);
    if (names.length === 0) return void (await deps.tell(client, { channel: shortcut.channel.id, userId: shortcut.user.id }, emptyLibraryText(), log));
    await client.views.open({
      trigger_id: shortcut.trigger_id,
      view: {
        type: 'modal',
        callback_id: STYLIZE_PHOTO_VIEW,
        private_metadata: JSON.stringify({ picture, channel: shortcut.channel.id } satisfies Pending),
        title: plain(LIBRARY_LABELS.stylizeThisPhoto),
        submit: plain(LABELS.formSubmit),
        close: plain(LABELS.formClose),
        blocks: [
          savedStyleSelect(names, false),
          { type: 'input', block_id: STRENGTH_BLOCK, optional: true, label: plain(LIBRARY_LABELS.strengthField), element: { type: 'number_input', action_id: STRENGTH_BLOCK, is_decimal_allowed: true, min_value: '0', max_value: '1' } },
        ],
      } as never,
    });
  });

  app.shortcut<MessageShortcut>(SAVE_STYLE_SHORTCUT, async ({ ack, shortcut, client }) => {
    await ack();
    const picture = await pictureOfShortcut(shortcut, client, 'style image');
    if (!picture) return;
    await client.views.open({
      trigger_id: shortcut.trigger_id,
      view: {
        type: 'modal',
        callback_id: SAVE_STYLE_VIEW,
        private_metadata: JSON.stringify({ picture, channel: shortcut.channel.id } satisfies Pending),
        title: plain(LIBRARY_LABELS.saveAsStyle),
        submit: plain(LIBRARY_LABELS.submit),
        close: plain(LABELS.formClose),
        blocks: [{ type: 'input', block_id: NAME_BLOCK, label: plain(LIBRARY_LABELS.nameField), element: { type: 'plain_text_input', action_id: NAME_BLOCK, max_length: 32 } }],
      } as never,
    });
  });

  type Values = Record<string, Record<string, { value?: string | null; selected_option?: { value: string } | null }>>;

  app.view(STYLIZE_PHOTO_VIEW, async ({ ack, body, view, client }) => {
    const values = view.state.values as Values;
    const form = readPending(view.private_metadata);
    if (!form || !ctx.styles) return void (await ack({ response_action: 'errors', errors: { [LIBRARY_BLOCK]: formExpiredText() } }));
    const strength = values[STRENGTH_BLOCK]?.[STRENGTH_BLOCK]?.value ?? undefined;
    let options;
    try {
      options = parseOptions(strength ? { strength } : {}, { sizeCap: ctx.sizeCap });
    } catch (e) {
      if (!(e instanceof OptionError)) throw e;
      return void (await ack({ response_action: 'errors', errors: { [STRENGTH_BLOCK]: e.message } }));
    }
    const teamId = teamOf(body);
    const found = await ctx.styles.find(libraryOf('slack', teamId), values[LIBRARY_BLOCK]?.[LIBRARY_BLOCK]?.selected_option?.value ?? '');
    if ('error' in found) return void (await ack({ response_action: 'errors', errors: { [LIBRARY_BLOCK]: found.error } }));
    await ack();
    const requestId = newRequestId();
    const who = { channel: form.channel, userId: body.user.id };
    const jobLog = log.child({ requestId, userId: who.userId, channel: who.channel, shortcut: STYLIZE_PHOTO_SHORTCUT });
    deps.track(
      stylize(ctx, {
        options,
        attachments: [form.picture],
        savedStyles: [savedStyleImage(found)],
        download: deps.download,
        owner: { userId: who.userId, platform: 'slack', serverId: teamId },
        requestId,
        view: new SlackJobView(who, deps.viewOptions(client, jobLog)),
        logger: jobLog,
      }).catch(async (err: unknown) => {
        jobLog.error({ err }, 'could not start the job');
        await deps.tell(client, who, `:x: ${internalErrorText(requestId)}`, jobLog);
      }),
    );
  });

  app.view(SAVE_STYLE_VIEW, async ({ ack, body, view, client }) => {
    const values = view.state.values as Values;
    const form = readPending(view.private_metadata);
    const styles = ctx.styles;
    if (!form || !styles) return void (await ack({ response_action: 'errors', errors: { [NAME_BLOCK]: formExpiredText() } }));
    const checked = checkName(values[NAME_BLOCK]?.[NAME_BLOCK]?.value ?? '');
    if ('error' in checked) return void (await ack({ response_action: 'errors', errors: { [NAME_BLOCK]: checked.error } }));
    await ack();
    const who = { channel: form.channel, userId: body.user.id };
    const save = async () => {
      let answer: string;
      try {
        const { bytes } = await downloadImage(form.picture, deps.download);
        answer = (await styles.save(libraryOf('slack', teamOf(body)), { name: checked.name, ownerId: who.userId, image: bytes })).message;
      } catch (e) {
        if (!(e instanceof InputError)) throw e;
        answer = e.message;
      }
      await deps.tell(client, who, answer, log);
    };
    deps.track(
      save().catch(async (err: unknown) => {
        const requestId = newRequestId();
        log.error({ err, requestId }, 'could not save the style');
        await deps.tell(client, who, `:x: ${internalErrorText(requestId)}`, log);
      }),
    );
  });
}
