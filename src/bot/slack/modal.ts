import { defaultOf, maxOf, OptionError, parseOptions, type ImageInput, type OptionDef, type ParsedOptions } from '../../commands/options.js';
import { collects } from '../../commands/stylize.js';
import { LIBRARY_LABELS } from '../../commands/style-library/texts.js';
import { attachOneText, fileHint, LABELS } from '../../commands/texts.js';

/**
 * The /stylize modal: one file input per picture input and one field per option that the schema
 * offers on Slack. Building the view and reading a submission back are both derived from what the
 * stylize command collects on Slack, so a new option reaches Slack without an edit here.
 */

export const MODAL_CALLBACK_ID = 'stylize_modal';
const OPTION_BLOCK_PREFIX = 'opt_';

/** `content_image`, `style_image`, `style2_image`. */
function imageBlockId(input: Pick<ImageInput, 'name'>): string {
  return `${input.name}_image`;
}
export const CONTENT_BLOCK = imageBlockId({ name: 'content' });
export const STYLE_BLOCK = imageBlockId({ name: 'style' });
/** The select of the workspace's saved styles (shown when it has some). */
export const LIBRARY_BLOCK = 'library_style';

/** Slack's file-type names for the images the engine decodes; the file picker offers only these. */
const IMAGE_FILETYPES = ['jpg', 'jpeg', 'png', 'webp', 'gif'];

/** What the modal carries from the slash command to the submission. */
export interface ModalMetadata {
  channelId: string;
}

function optionBlockId(name: string): string {
  return `${OPTION_BLOCK_PREFIX}${name}`;
}

function label(name: string): string {
  const words = name.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const plain = (text: string) => ({ type: 'plain_text' as const, text });

function optionElement(def: OptionDef, sizeCap: number): Record<string, unknown> {
  switch (def.kind) {
    case 'number':
    case 'integer':
      return {
        type: 'number_input',
        action_id: def.name,
        is_decimal_allowed: def.kind === 'number',
        min_value: String(def.min),
        max_value: String(maxOf(def, sizeCap)),
        ...(def.default !== undefined ? { initial_value: String(defaultOf(def, sizeCap)) } : {}),
        ...(def.example ? { placeholder: plain(`e.g. ${def.example}`) } : {}),
      };
    case 'boolean': {
      const option = { text: plain(label(def.name)), value: 'true' };
      return {
        type: 'checkboxes',
        action_id: def.name,
        options: [option],
        ...(def.default ? { initial_options: [option] } : {}),
      };
    }
    case 'choice': {
      const options = def.choices.map((c) => ({ text: plain(c), value: c }));
      const initial = options.find((o) => o.value === def.default);
      return {
        type: 'static_select',
        action_id: def.name,
        options,
        ...(initial ? { initial_option: initial } : {}),
      };
    }
  }
}

function fileBlock(input: ImageInput, required: boolean = input.required): Record<string, unknown> {
  const blockId = imageBlockId(input);
  return {
    type: 'input',
    block_id: blockId,
    optional: !required,
    label: plain(input.title),
    hint: plain(fileHint(input.help)),
    element: { type: 'file_input', action_id: blockId, filetypes: IMAGE_FILETYPES, max_files: 1 },
  };
}

export function buildModal(meta: ModalMetadata, sizeCap: number, savedStyles: readonly string[] = []): Record<string, unknown> {
  const { images, options } = collects('slack');
  // With saved styles, the style may be picked from them instead of attached.
  const imageBlocks = images.flatMap((input) =>
    input.name === 'style' && savedStyles.length > 0 ? [fileBlock(input, false), savedStyleSelect(savedStyles)] : [fileBlock(input)],
  );
  const optionBlocks = options.map((def) => ({
    type: 'input',
    block_id: optionBlockId(def.name),
    optional: true,
    label: plain(label(def.name)),
    hint: plain(def.help),
    element: optionElement(def, sizeCap),
  }));
  return {
    type: 'modal',
    callback_id: MODAL_CALLBACK_ID,
    private_metadata: JSON.stringify(meta),
    title: plain(LABELS.formTitle),
    submit: plain(LABELS.formSubmit),
    close: plain(LABELS.formClose),
    blocks: [...imageBlocks, ...optionBlocks],
  };
}

/** Slack's static_select takes at most 100 options: STYLE_LIBRARY_MAX's default. */
export function savedStyleSelect(names: readonly string[], optional = true): Record<string, unknown> {
  return {
    type: 'input',
    block_id: LIBRARY_BLOCK,
    optional,
    label: plain(LIBRARY_LABELS.styleField),
    element: { type: 'static_select', action_id: LIBRARY_BLOCK, options: names.slice(0, 100).map((n) => ({ text: plain(n), value: n })) },
  };
}

/** A file as the submission's state describes it (a subset of Slack's file object). */
export interface SubmittedFile {
  id: string;
  name?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

interface ElementState {
  type?: string;
  value?: string | null;
  files?: SubmittedFile[];
  selected_options?: { value: string }[];
  selected_option?: { value: string } | null;
}
export type ViewStateValues = Record<string, Record<string, ElementState>>;

export interface Submission {
  /** The photo first, then the paintings, with the input each one answers. */
  files: { input: ImageInput; file: SubmittedFile }[];
  options: ParsedOptions;
  /** A saved style picked instead of (or besides) an attached one. */
  styleName?: string;
}

/** Form-field errors for `response_action: 'errors'`, keyed by block_id. */
export class SubmissionErrors extends Error {
  override name = 'SubmissionErrors';
  constructor(readonly errors: Record<string, string>) {
    super(Object.values(errors).join(' '));
  }
}

export function readMetadata(privateMetadata: string | undefined): ModalMetadata | undefined {
  try {
    const meta = JSON.parse(privateMetadata ?? '') as Partial<ModalMetadata>;
    return typeof meta.channelId === 'string' && meta.channelId ? { channelId: meta.channelId } : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the modal's state into files + validated options; throws SubmissionErrors for the form. */
export function readSubmission(values: ViewStateValues, sizeCap: number): Submission {
  const errors: Record<string, string> = {};
  const { images, options: defs } = collects('slack');
  const files: Submission['files'] = [];
  const styleName = values[LIBRARY_BLOCK]?.[LIBRARY_BLOCK]?.selected_option?.value ?? undefined;
  for (const input of images) {
    const blockId = imageBlockId(input);
    const given = values[blockId]?.[blockId]?.files ?? [];
    const required = input.required && !(input.name === 'style' && styleName !== undefined);
    if (given.length > 1 || (given.length === 0 && required)) errors[blockId] = attachOneText(input.label);
    else if (given[0]) files.push({ input, file: given[0] });
  }

  const raw: Record<string, unknown> = {};
  for (const def of defs) {
    const state = values[optionBlockId(def.name)]?.[def.name];
    if (!state) continue;
    if (def.kind === 'boolean')
      raw[def.name] = (state.selected_options ?? []).some((o) => o.value === 'true');
    else if (def.kind === 'choice') raw[def.name] = state.selected_option?.value;
    else raw[def.name] = state.value ?? undefined;
  }
  let options: ParsedOptions | undefined;
  // One option at a time comes back from parseOptions; check each so every bad field is marked.
  for (const [name, value] of Object.entries(raw)) {
    try {
      parseOptions({ [name]: value }, { sizeCap });
    } catch (e) {
      if (!(e instanceof OptionError)) throw e;
      errors[optionBlockId(name)] = e.message;
    }
  }
  if (Object.keys(errors).length === 0) options = parseOptions(raw, { sizeCap });
  if (!options || Object.keys(errors).length > 0) throw new SubmissionErrors(errors);
  return { files, options, styleName };
}
