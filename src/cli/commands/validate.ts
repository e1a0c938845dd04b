import type { Command } from 'commander';
import { ConfigError, type MissingVariable } from '../../core/errors.ts';
import { globalOptions } from './global-options.ts';

// validate never talks to Metabase: its hint must not speak of what was or was not sent there.
const OFFLINE_HINT = 'Fix the files above and run `mb-sync validate` again.';

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
      let unset: MissingVariable[] = [];
      try {
        const project = await loadProject({ configPath: global.configPath, allowMissingEnv: true, onMissingEnv: (missing) => { unset = missing; } });
        summary = await validateOffline(project);
      } catch (error) {
        if (options.json && error instanceof ConfigError) process.stdout.write(`${JSON.stringify({ ok: false, issues: error.issues }, null, 2)}\n`);
        throw error instanceof ConfigError ? new ConfigError(error.issues, { hint: OFFLINE_HINT }) : error;
      }
      const unsetVariables = unset.map((m) => m.variable);
      if (options.json) process.stdout.write(`${JSON.stringify({ ok: summary.issues.length === 0, ...summary, unsetVariables }, null, 2)}\n`);
      if (summary.issues.length > 0) throw new ConfigError(summary.issues, { hint: OFFLINE_HINT });
      // Not a failure: validate needs no secret. Listed so that plan and apply do not surprise.
      if (unset.length > 0) process.stderr.write(`! not set here, needed by plan and apply: ${unset.map((m) => `${m.variable} (${m.usedAt.join(', ')})`).join('; ')}\n`);
      process.stderr.write(`✓ valid: ${summary.dashboards} dashboard(s), ${summary.cards} card(s), ${summary.nativeCompiled} native quer${summary.nativeCompiled === 1 ? 'y' : 'ies'} compiled against the views\n`);
    });
}
