import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The layering rule of CONTRIBUTING.md is enforced by ESLint; these probes prove the rule fires.
const root = join(import.meta.dirname, '../../..');
const eslint = new ESLint({ cwd: root });

async function problems(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? []).filter((m) => /restricted/.test(m.ruleId ?? '')).map((m) => m.message);
}

describe('layering', () => {
  it.each([
    ['src/core/probe.ts', "import { loadProject } from '../config/load-project.ts';\nexport const x = loadProject;\n"],
    ['src/core/probe.ts', "import { CardFile } from '../model/card.ts';\nexport const x = CardFile;\n"],
    ['src/resources/probe.ts', "import { applyPlan } from '../engine/apply-plan.ts';\nexport const x = applyPlan;\n"],
    ['src/resources/probe.ts', "import { loadProject } from '../config/load-project.ts';\nexport const x = loadProject;\n"],
    ['src/config/probe.ts', "import { makePlan } from '../engine/make-plan.ts';\nexport const x = makePlan;\n"],
    ['src/engine/probe.ts', "import { main } from '../cli/main.ts';\nexport const x = main;\n"],
    ['src/core/probe.ts', "import { readFileSync } from 'fs';\nexport const x = readFileSync;\n"],
    ['src/core/probe.ts', "export const x = () => import('../config/load-project.ts');\n"],
  ])('%s may not import %s', async (file, code) => {
    expect(await problems(file, code)).toHaveLength(1);
  });

  it('lets core take types from the model, and resources take core', async () => {
    expect(await problems('src/core/probe.ts', "import type { CardT } from '../model/card.ts';\nexport type X = CardT;\n")).toEqual([]);
    expect(await problems('src/resources/probe.ts', "import { flatten } from '../core/collections.ts';\nexport const x = flatten;\n")).toEqual([]);
  });
});
