/** Attention controllers as graph plugins (DESIGN D2). Read CONTEXT.md first. */
export * from './site.ts';
export * from './controller.ts';
export * from './chain.ts';
export * from './attentionSite.ts';
