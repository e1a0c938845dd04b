import type { Command } from 'commander';
import { ConfigError } from '../../core/errors.ts';
import { globalOptions } from './global-options.ts';

export function register(program: Command): void {
  program
    .command('validate')
    .description('check the project offline: schemas, references, layout, and every native card\'s SQL against the real views')
    .option('--json', 'print the result as one JSON document on stdout')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { loadProject } = await import('../../config/load-project.ts');
      const { validateOffline } = await import('../../engine/validate-offline.ts');
      const global = globalOptions(command);
      let summary;
      try {
        const project = await loadProject({ configPath: global.configPath, allowMissingEnv: true });
        summary = await validateOffline(project);
      } catch (error) {
        if (options.json && error instanceof ConfigError) process.stdout.write(`${JSON.stringify({ ok: false, issues: error.issues }, null, 2)}\n`);
        throw error;
      }
      if (options.json) process.stdout.write(`${JSON.stringify({ ok: summary.issues.length === 0, ...summary }, null, 2)}\n`);
      if (summary.issues.length > 0) throw new ConfigError(summary.issues);
      process.stderr.write(`✓ valid: ${summary.dashboards} dashboard(s), ${summary.cards} card(s), ${summary.nativeCompiled} native quer${summary.nativeCompiled === 1 ? 'y' : 'ies'} compiled against the analytics views\n`);
    });
}
