import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * Where end-to-end tests save their screenshots: `docs/` (the README's pictures) only when
 * asked with SCREENSHOTS=docs, so an ordinary test run leaves the work tree clean;
 * otherwise the ignored `test-output/screenshots/`.
 */
export function screenshotPath(name: string): string {
  const dir = process.env.SCREENSHOTS === 'docs' ? join(ROOT, 'docs') : join(ROOT, 'test-output', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
