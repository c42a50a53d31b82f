import { ESLint } from 'eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../engine/paths.ts';

/** The folder boundaries the CONTEXT.md files state, held by lint rules rather than prose. */
const eslint = new ESLint({ cwd: PACKAGE_ROOT });
const messages = async (file: string, code: string): Promise<string[]> => {
  const [result] = await eslint.lintText(code, { filePath: join(PACKAGE_ROOT, file) });
  return result.messages.map((m) => m.message);
};

describe('folder boundaries', () => {
  it('engine/graph never imports models, controllers, denoisers or pipelines; they may import it', async () => {
    for (const spec of ['../models/spec.ts', '../pipelines/sampling.ts', '../controllers/chain.ts', '../denoiser/denoiser.ts']) {
      expect(await messages('engine/graph/x.ts', `import type { X } from '${spec}';\nexport type Y = X;\n`), spec).toEqual([expect.stringMatching(/engine\/graph never imports/)]);
    }
    expect(await messages('engine/models/x.ts', "import type { GraphBuilder } from '../graph/builder.ts';\nexport type Y = GraphBuilder;\n")).toEqual([]);
  });

  it('the editor core imports no React or zustand and touches no DOM; the components may', async () => {
    for (const code of ["import { useState } from 'react';\nexport const f = useState;\n", "import { create } from 'zustand';\nexport const f = create;\n", 'export const f = () => document.title;\n', 'export const f = () => window.innerWidth;\n']) {
      expect((await messages('renderer/src/editor/x.ts', code)).some((m) => /framework-free|never touches the DOM/.test(m)), code).toBe(true);
    }
    expect(await messages('renderer/src/components/x.tsx', "import { useState } from 'react';\nexport const f = useState;\n")).toEqual([]);
  });
});
