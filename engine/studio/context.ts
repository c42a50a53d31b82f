import type { EditRequest, ImageRef, InpaintRequest } from '../api/schemas.ts';
import type { ParsedRequestOf } from '../api/contract.ts';
import type { ModelEntry } from '../api/schemas.ts';
import type { JobContext } from './jobs/queue.ts';
import { JobQueue } from './jobs/queue.ts';
import { ResultStore } from './results/store.ts';
import { SettingsStore } from './settings/store.ts';
import type { PathPolicy } from './pathPolicy.ts';

export type GenerateParams = ParsedRequestOf<'jobs.generate'>;
export type Img2ImgParams = ParsedRequestOf<'jobs.img2img'>;
export type EditParams = ParsedRequestOf<'jobs.edit'>;
export type InpaintParams = ParsedRequestOf<'jobs.inpaint'>;
export type StylizeParams = ParsedRequestOf<'jobs.stylize'>;
export type AttentionParams = ParsedRequestOf<'jobs.attention'>;

/** The image-making work behind the job operations; each returns the images it stored. */
export interface Pipelines {
  generate(params: GenerateParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]>;
  img2img(params: Img2ImgParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]>;
  edit(params: EditParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]>;
  inpaint(params: InpaintParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]>;
  stylize(params: StylizeParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]>;
  /** The generated image first, then one map per prompt word (labelled with the word). */
  attention(params: AttentionParams, job: JobContext, studio: StudioContext): Promise<ImageRef[]>;
}

/** Reads what a model is from its header; injected so the catalog stays testable. */
export type ModelInspector = (path: string, config?: string) => Promise<ModelEntry>;

/** Everything the handlers work with; one per running studio (Electron main or server). */
export interface StudioContext {
  queue: JobQueue;
  results: ResultStore;
  settings: SettingsStore;
  pipelines: Pipelines;
  inspect: ModelInspector;
  /** Which files the API may read and write; default: the settings' models and output folders. */
  paths?: PathPolicy;
}

export type { EditRequest, InpaintRequest };
