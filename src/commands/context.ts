import type { StylizeOptions } from '../engine/index.js';
import type { Logger } from '../log.js';
import type { JobQueuePort } from '../queue/port.js';
import type { JobFlow } from './flow.js';
import type { StyleLibrary } from './style-library/library.js';

/** What every command gets, whatever the platform. */
export interface CommandContext {
  queue: JobQueuePort;
  flow: JobFlow;
  logger: Logger;
  /** The configured MAX_IMAGE_SIZE: the top of the size option. */
  sizeCap: number;
  /** REROLL_KEEP_MIN, for the sentence when a Reroll comes too late. */
  rerollKeepMin: number;
  /** Engine options applied under the user's choices (operators, tests: e.g. fewer iterations). */
  jobDefaults?: Partial<StylizeOptions>;
  /** The servers' saved styles (/style, style_name, the right-click apps); undefined = off. */
  styles?: StyleLibrary;
}
