/** Moved to engine/bench/flops.ts (the bench command needs it); kept for the test-side scripts. */
export { unetFlops } from '../../../engine/bench/flops.ts';
