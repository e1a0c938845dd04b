/** `npm run docs`: writes docs/dashboards.md and one SVG per dashboard from the YAML, and the README's query vocabulary. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadProject } from '../src/config/load-project.ts';
import { dashboardsMarkdown, layoutSvg } from '../src/core/layout-svg.ts';
import { withVocabulary } from '../src/core/query-vocabulary-doc.ts';

const root = join(import.meta.dirname, '..');
const project = await loadProject({ configPath: join(root, 'metabase.config.yaml'), allowMissingEnv: true });
await mkdir(join(root, 'docs/dashboards'), { recursive: true });
for (const { dashboard } of project.dashboards) await writeFile(join(root, 'docs/dashboards', `${dashboard.key}.svg`), layoutSvg(project, dashboard));
await writeFile(join(root, 'docs/dashboards.md'), dashboardsMarkdown(project));
await writeFile(join(root, 'README.md'), withVocabulary(await readFile(join(root, 'README.md'), 'utf8')));
console.log(`wrote docs/dashboards.md, ${project.dashboards.length} SVG layouts and the README's query vocabulary`);
