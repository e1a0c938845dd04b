import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/config/load-project.ts';
import { checkLayout } from '../../../src/core/check-layout.ts';
import { dashboardsMarkdown, layoutSvg } from '../../../src/core/layout-svg.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('the committed dashboard pictures', () => {
  it('match the YAML (run `npm run docs` after changing a dashboard)', async () => {
    const project = await loadProject({ configPath: join(ROOT, 'metabase.config.yaml'), allowMissingEnv: true });
    expect(await readFile(join(ROOT, 'docs/dashboards.md'), 'utf8')).toBe(dashboardsMarkdown(project));
    for (const { dashboard } of project.dashboards) {
      expect(checkLayout(dashboard)).toEqual([]);
      expect(await readFile(join(ROOT, 'docs/dashboards', `${dashboard.key}.svg`), 'utf8')).toBe(layoutSvg(project, dashboard));
    }
  });
});
