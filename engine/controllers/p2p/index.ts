/** Prompt-to-prompt editing (Hertz et al.) on the controller framework. */
export * from './promptWeights.ts';
export * from './wordTokens.ts';
export * from './seqAlign.ts';
export * from './tokenMap.ts';
export * from './schedule.ts';
export * from './plan.ts';
export * from './layout.ts';
export * from './replace.ts';
export * from './localBlend.ts';
