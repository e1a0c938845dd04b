import type { Command } from 'commander';
import { MbSyncError } from '../../core/errors.ts';
import { debugServer, globalOptions } from './global-options.ts';

export function register(program: Command): void {
  program
    .command('pull')
    .description('write YAML from dashboards that already exist in Metabase (onboarding)')
    .option('-d, --dashboard <name-or-id...>', 'dashboards to pull, by name or id')
    .option('--out <dir>', 'where to write new files (a dashboard the project has goes to its own file)', 'dashboards')
    .option('--force', 'replace files that exist already (their comments and formatting are not kept)')
    .action(async (options: { dashboard?: string[]; out: string; force?: boolean }, command: Command) => {
      const { openTarget } = await import('../../engine/open-target.ts');
      const { pull } = await import('../../engine/pull.ts');
      const { renderCollectionsToDeclare } = await import('../render/pull-collections.ts');
      if (!options.dashboard?.length) throw new MbSyncError('CONFIG_INVALID', 'say which dashboards to pull: --dashboard NAME|ID …');
      const global = globalOptions(command);
      const target = await openTarget({ ...global, onServer: debugServer(global) });
      const result = await pull(target, { dashboards: options.dashboard, outDir: options.out, force: Boolean(options.force) });
      for (const file of result.files) process.stderr.write(`✓ ${result.replaced.includes(file) ? 'replaced' : 'wrote'} ${file}\n`);
      for (const skipped of result.skipped) process.stderr.write(`! skipped ${skipped} (the YAML cannot express it yet)\n`);
      if (result.collections.length > 0) process.stderr.write(`! these files name collections ${global.configPath} does not declare yet.\n${renderCollectionsToDeclare(result.collections, global.configPath)}`);
      process.stderr.write(`Next: ${result.collections.length > 0 ? 'add those collections, then ' : ''}\`mb-sync plan\` should show no change for these dashboards.\n`);
    });
}
