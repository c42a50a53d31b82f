import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../engine/paths.ts';

// semver ships no types; these are the two calls used.
const semver = createRequire(import.meta.url)('semver') as {
  subset(sub: string, dom: string): boolean;
};

const read = (file: string): string => readFileSync(join(PACKAGE_ROOT, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
interface Locked {
  version?: string;
  engines?: { node?: string } | string[];
  os?: string[];
  cpu?: string[];
}
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, Locked> };
/** npm installs a package only where its os and cpu fields allow (sharp's per-platform builds). */
const installsHere = (p: Locked): boolean => (!p.os || p.os.includes(process.platform)) && (!p.cpu || p.cpu.includes(process.arch));

describe('the Node version the project asks for', () => {
  const ours = pkg.engines.node;

  it('admits only Node versions every locked dependency runs on (npm warns about none at install)', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && installsHere(p))
      .flatMap(([path, p]) => {
        const range = !Array.isArray(p.engines) ? p.engines?.node : undefined;
        return range && !semver.subset(ours, range) ? [`${path.replace(/^.*node_modules\//, '')}@${p.version} wants ${range}`] : [];
      });
    expect(refusing, `engines.node is ${ours}`).toEqual([]);
  });

  it('is what the lockfile, the README and CI say', () => {
    expect((lock.packages[''].engines as { node: string }).node).toBe(pkg.engines.node);
    expect(read('README.md')).toContain(`Node.js \`${ours}\``);
    // CI reads the requirement from package.json rather than restating it.
    expect(read('.ci/run')).toContain('require("./package.json").engines.node');
  });
});
