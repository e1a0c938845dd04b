/** `npm run docs`: writes docs/dashboards.md and one SVG per dashboard from the YAML. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadProject } from '../src/config/load-project.ts';
import { dashboardsMarkdown, layoutSvg } from '../src/core/layout-svg.ts';

const root = join(import.meta.dirname, '..');
const project = await loadProject({ configPath: join(root, 'metabase.config.yaml'), allowMissingEnv: true });
await mkdir(join(root, 'docs/dashboards'), { recursive: true });
for (const { dashboard } of project.dashboards) await writeFile(join(root, 'docs/dashboards', `${dashboard.key}.svg`), layoutSvg(project, dashboard));
await writeFile(join(root, 'docs/dashboards.md'), dashboardsMarkdown(project));
console.log(`wrote docs/dashboards.md and ${project.dashboards.length} SVG layouts`);
