import { isStudioError } from '../../engine/api/errors.ts';

/** Counts of one fuzz category, printed for the hardening report. */
export class Tally {
  cases = 0;
  accepted = 0;
  readonly typed = new Map<string, number>();
  constructor(readonly category: string) {}

  ok(): void {
    this.cases++;
    this.accepted++;
  }

  /** A refusal: counted by its code; anything that is not a typed error is rethrown so the property fails. */
  refused(e: unknown): void {
    if (!isStudioError(e)) throw e;
    this.cases++;
    this.typed.set(e.code, (this.typed.get(e.code) ?? 0) + 1);
  }

  code(code: string): void {
    this.cases++;
    this.typed.set(code, (this.typed.get(code) ?? 0) + 1);
  }

  print(): void {
    const typed = [...this.typed].map(([c, n]) => `${c} ${n}`).join(', ') || 'none';
    console.log(`[fuzz] ${this.category}: ${this.cases} cases, ${this.accepted} accepted, typed errors: ${typed}`);
  }
}

/** fast-check settings shared by the fuzz suites: seeded, so a failure reproduces; bounded in count and time. */
export const fuzzRuns = (numRuns: number, seed = 23) => ({ seed, numRuns, interruptAfterTimeLimit: 20_000, markInterruptAsFailure: false });
