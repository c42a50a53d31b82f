import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../engine/paths.ts';

/** Runs a script in a fresh Node process (tsx for the TypeScript import), as `serve` would. */
function runNode(script: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: PACKAGE_ROOT, encoding: 'utf8', timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const guard = join(PACKAGE_ROOT, 'engine', 'server', 'crashGuard.ts');
const escapingBugs = `
  setTimeout(() => { throw new Error('bug in a timer'); }, 5);
  setTimeout(() => { void Promise.reject(new Error('bug in a promise')); }, 10);
  setTimeout(() => { console.log('still alive'); process.exit(0); }, 100);
`;

describe('serve mode crash guard', () => {
  it('without it, an escaping exception ends the process (what it protects against)', () => {
    const r = runNode(escapingBugs);
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain('still alive');
  });

  it('logs an uncaught exception and an unhandled rejection and keeps the process alive', () => {
    const r = runNode(`import { installCrashGuard } from ${JSON.stringify(guard)}; installCrashGuard();${escapingBugs}`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('still alive');
    expect(r.stderr).toContain('uncaught exception: Error: bug in a timer');
    expect(r.stderr).toContain('unhandled rejection: Error: bug in a promise');
  });
});
