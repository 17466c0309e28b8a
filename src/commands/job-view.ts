/**
 * What the job flow needs from a chat platform: one message that follows a job. A platform folder
 * under src/bot implements this and registers a builder with the flow, so that after a restart the
 * view can be rebuilt from the `ReplyTarget` the queue kept with the job.
 */
import type { StylizeResult } from '../engine/index.js';
import type { ReplyTarget } from '../queue/port.js';
import type { JobOwner } from '../queue/types.js';

/** A picture as a platform posts it: the engine result's own fields, a file name, and a type every platform shows. */
export interface Picture extends Pick<StylizeResult, 'image' | 'width' | 'height'> {
  name: string;
  mime: 'image/png' | 'image/jpeg';
}

/** The job's message in one state, in platform-neutral terms; the view turns it into its markup. */
export interface Screen {
  /** The sentences of this state (from texts.ts). */
  text: string;
  /** Present while the job can still be cancelled: the Cancel button's job. */
  cancelJobId?: string;
  /** Present while a picture is shown and its painting can still be stopped: the Keep this button's job. */
  keepJobId?: string;
  /** A preview newer than the one shown; absent keeps the shown one. */
  preview?: Picture;
  /** The finished picture and its facts (final screen of a job that is done). */
  result?: { picture: Picture; facts: { name: string; value: string }[]; requestId: string };
  /** Reroll and Parameters buttons for these stored inputs (final screen, when rerolls are kept). */
  rerollKey?: string;
  /** The options used, as `name: value` lines. */
  parameters: string[];
  /** The last screen of the job: a picture shown before is removed unless this one has a result. */
  final: boolean;
}

export interface JobView {
  readonly platform: JobOwner['platform'];
  /** Most bytes one picture may have here. */
  readonly uploadLimit: number;
  /** Least time between two edits of the message. */
  readonly editIntervalMs: number;
  /** True once no way to reach the user is left. */
  readonly lost: boolean;
  /**
   * Makes sure the job has a message, before anything is queued, and says where it is: what the
   * queue stores with the job. Throws when the message cannot be placed.
   */
  open(): Promise<ReplyTarget>;
  /** Shows a state; throws when the platform refuses it. */
  show(screen: Screen): Promise<void>;
  /** Nothing was queued: tells only the requester why (and takes away the opened message). */
  refuse(text: string): Promise<void>;
}

/** Rebuilds a view from what the platform wrote down when the job was submitted. */
export type ViewBuilder = (reply: ReplyTarget) => JobView;
