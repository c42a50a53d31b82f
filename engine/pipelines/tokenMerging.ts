import type { TokenMergingOptions } from '../controllers/tome/options.ts';

/** A request's `tokenMerging` as validated by TokenMergingSchema. */
export type TokenMergingRequest = Partial<TokenMergingOptions> & { ratio: number; excludeMasked?: boolean };

/** `Token merging ratio` in the A1111 `parameters` text (the key A1111 itself writes), when merging was on. */
export function tokenMergingParameters(request: TokenMergingRequest | undefined): Record<string, number> {
  return request && request.ratio > 0 ? { 'Token merging ratio': request.ratio } : {};
}
