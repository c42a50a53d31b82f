export {
  SD_SCHEDULE,
  alphaFromSigma,
  ddimTimesteps,
  makeSchedule,
  scheduleFromLdmConfig,
  sigmaFromAlpha,
  stepsForStrength,
  type BetaSchedule,
  type LdmScheduleParams,
  type NoiseSchedule,
  type ScheduleConfig,
} from './schedule.ts';
export { SigmaTable, karrasSigmas, samplingSigmas, type SigmaSpacing } from './sigmas.ts';
export { timestepEmbedding, type TimestepEmbeddingOptions } from './timestepEmbedding.ts';
export { DdimSampler, ddimStep, ddimTables, epsFromV, type DdimStepOptions, type DdimTables } from './ddim.ts';
export { invertDdim, type InversionOptions, type InversionResult } from './inversion.ts';
export { KDiffusionSampler } from './kdiffusion.ts';
export { createSampler, sample, type SampleOptions } from './sample.ts';
export type {
  ModelFn,
  SamplerStep,
  NoiseSource,
  Parameterization,
  Sampler,
  SamplerName,
  SamplerOptions,
  StepHook,
  StepInfo,
} from './types.ts';
