import type { NpyArray } from '../npy/npy.ts';

export interface DebugModule {
  description: string;
  inputs: { name: string; meaning: string }[];
  /** Builds the module for a checkpoint and returns a function that runs it once. */
  load(checkpoint: string, config?: string): Promise<(inputs: Map<string, NpyArray>) => Promise<NpyArray>>;
}

/** Network modules the debug command can run; each engine module provides its own runner. */
export const DEBUG_MODULES: Record<string, DebugModule> = {};

export type DebugModuleName = keyof typeof DEBUG_MODULES;
