import { stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command, Option } from 'commander';
import { ExitCode, MbSyncError } from '../../core/errors.ts';
import { hasChanges, type Plan } from '../../core/plan.ts';
import { redactText } from '../../core/secrets.ts';
import { renderPlanMarkdown } from '../render/plan-markdown.ts';
import { colors, plain, renderPlanText } from '../render/plan-text.ts';
import { safeUrl } from '../../config/resolve-target.ts';
import { debugServer, globalOptions, targetingOptions } from './global-options.ts';

interface PlanOptions {
  out?: string;
  fullMarkdown?: string;
  json?: boolean;
  format: 'text' | 'markdown' | 'json';
  detailedExitcode?: boolean;
  allowArchive?: boolean;
  concurrency?: number;
  select: string[];
  baseline?: string;
}

export function register(program: Command): void {
  const [select, concurrencyOption] = targetingOptions() as [Option, Option];
  program
    .command('plan')
    .description('show what apply would change in the live Metabase (reads only)')
    .option('--out <file>', 'save the plan as JSON, to apply it later with `apply FILE`')
    .option('--baseline <config>', "the project as on the base branch (e.g. a git worktree of main): this change's own changes are shown apart from drift made in Metabase")
    .option('--full-markdown <file>', 'with --format markdown: also write the whole markdown plan to FILE, since stdout is cut under GitHub\'s comment limit')
    .option('--json', 'print the plan as one JSON document on stdout')
    .option('--format <format>', 'text | markdown | json', 'text')
    .option('--detailed-exitcode', 'exit 2 when there are changes, 0 when there are none')
    .option('--allow-archive', 'plan to archive managed objects removed from the files')
    .addOption(select)
    .addOption(concurrencyOption)
    .action(async (options: PlanOptions, command: Command) => {
      const { parseSelectorsOrThrow } = await import('../../engine/make-plan.ts');
      const { openTarget } = await import('../../engine/open-target.ts');
      const { handlers } = await import('../../resources/registry.ts');
      const { makeCheckedPlan } = await import('../../engine/checked-plan.ts');
      const global = globalOptions(command);
      if (options.json && command.getOptionValueSource('format') === 'cli' && options.format !== 'json') {
        throw new MbSyncError('CONFIG_INVALID', `--json and --format ${options.format} ask for two different outputs`, { hint: 'keep one of them' });
      }
      const format = options.json ? 'json' : options.format;
      if (!['text', 'markdown', 'json'].includes(format)) {
        throw new MbSyncError('CONFIG_INVALID', `unknown --format ${format}`, { hint: 'use text, markdown or json' });
      }
      const { concurrency } = options;
      if (options.baseline !== undefined) await checkBaseline(options.baseline, global.configPath);
      // Checked before anything is sent: a misspelt kind is bad input.
      parseSelectorsOrThrow(options.select, handlers.map((h) => h.kind));
      const target = await openTarget({ ...global, ...(options.baseline === undefined ? {} : { baselineConfigPath: options.baseline }), onServer: debugServer(global), ...(concurrency === undefined ? {} : { concurrency }) });
      // Postgres for the SQL check boots only if the plan changes native SQL not known to compile: a
      // no-op plan (the daily drift check on a fresh clone) pays nothing. The outputs are rendered
      // while that SQL compiles, written once it has.
      const render = (plan: Plan) => {
        const json = options.out || format === 'json' ? `${JSON.stringify(plan, null, 2)}\n` : '';
        return { json, shown: format === 'json' ? json : format === 'markdown' ? renderPlanMarkdown(plan) : renderPlanText(plan, global.color && process.stdout.isTTY ? colors : plain) };
      };
      const { plan, rendered } = await makeCheckedPlan({
        project: target.project,
        api: target.api,
        server: target.server,
        target: { environment: target.environment, url: safeUrl(target.url) },
        handlers,
        allowArchive: Boolean(options.allowArchive),
        seal: Boolean(options.out) || format === 'json',
        select: options.select,
        ...(target.baseline === undefined ? {} : { baseline: target.baseline }),
      }, { render });
      const { json, shown } = rendered;
      if (options.out) await writeFile(options.out, redactText(json), { mode: 0o600 });
      process.stdout.write(redactText(shown));
      if (options.fullMarkdown) await writeFile(options.fullMarkdown, redactText(renderPlanMarkdown(plan, { maxChars: Infinity })));
      if (options.out) process.stderr.write(`Plan saved to ${options.out}; apply it with: mb-sync apply ${options.out}\n`);
      if (options.detailedExitcode && hasChanges(plan)) process.exitCode = ExitCode.changesPresent;
    });
}

/**
 * `--baseline` names the base branch's config (a worktree of main): a path that is not there gets an
 * error about the flag, not about the project; this project's own config would mark every change of
 * the branch as drift.
 */
async function checkBaseline(baseline: string, configPath: string): Promise<void> {
  const hint = 'give the base branch\'s metabase.config.yaml, e.g. after `git worktree add ../base main`: --baseline ../base/metabase.config.yaml';
  const found = await stat(baseline).then((s) => s.isFile(), () => false);
  if (!found) throw new MbSyncError('CONFIG_INVALID', `--baseline ${baseline}: no such file`, { hint });
  if (resolve(baseline) === resolve(configPath)) throw new MbSyncError('CONFIG_INVALID', `--baseline ${baseline} is this project's own config: every change of the branch would read as drift`, { hint });
}
