/**
 * Serve mode keeps running when a bug escapes a handler: one bad request must not end the
 * process and with it every queued job and every result not yet exported. The error is
 * logged so the bug can still be found.
 */
export interface GuardedProcess {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
}

export function installCrashGuard(target: GuardedProcess = process, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): void {
  const report = (kind: string) => (e: unknown): void => {
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    log(`Latent Studio kept running after an ${kind}: ${text}`);
  };
  target.on('unhandledRejection', report('unhandled rejection'));
  target.on('uncaughtException', report('uncaught exception'));
}
