import { createInterface } from 'node:readline/promises';
import type { Command, Option } from 'commander';
import { ExitCode, MbSyncError } from '../../core/errors.ts';
import { hasWork, PLAN_FORMAT_VERSION, type Plan } from '../../core/plan.ts';
import { redactText } from '../../core/secrets.ts';
import type { ApplyEvent } from '../../core/events.ts';
import { createProgress } from '../render/progress.ts';
import { colors, plain, renderPlanText } from '../render/plan-text.ts';
import { safeUrl } from '../../config/resolve-target.ts';
import { debugServer, globalOptions, targetingOptions } from './global-options.ts';

interface ApplyOptions {
  yes?: boolean;
  json?: boolean;
  allowArchive?: boolean;
  concurrency?: number;
  select: string[];
}

export function register(program: Command): void {
  const [select, concurrencyOption] = targetingOptions() as [Option, Option];
  program
    .command('apply')
    .argument('[plan-file]', 'a plan saved with `plan --out`; refused, naming what moved, if what it covers changed since in Metabase or the files')
    .description('make the live Metabase match the files')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--json', 'print the result as one JSON document on stdout')
    .option('--allow-archive', 'archive managed objects removed from the files')
    .addOption(select)
    .addOption(concurrencyOption)
    .action(async (planFile: string | undefined, options: ApplyOptions, command: Command) => {
      const global = globalOptions(command);
      // Embedded Postgres for the SQL check, when it will be needed, starts booting in its thread
      // first of all (its boot is the longest step before a cold apply's first write), before the
      // rest of the engine is even loaded; stopped if anything is refused before the check takes it.
      const { bootSqlCheckEarly } = await import('../../engine/early-sql-check.ts');
      const early = await bootSqlCheckEarly(global.configPath, process.env);
      const { concurrency } = options;
      let saved: Plan | undefined;
      let engine: Awaited<ReturnType<typeof loadEngine>>;
      let target: Awaited<ReturnType<typeof engine.openTarget>>;
      try {
        engine = await loadEngine();
        const { parseSelectorsOrThrow, openTarget, handlers, readSavedPlan } = engine;
        saved = planFile === undefined ? undefined : await readSavedPlan(planFile);
        if (saved && options.select.length > 0) throw new MbSyncError('CONFIG_INVALID', `${planFile} ${saved.selection ? 'carries its own selection' : 'is a whole plan'}: --select applies to a new plan, not to a saved one`);
        if (saved && options.allowArchive) throw new MbSyncError('CONFIG_INVALID', `${planFile} says whether it archives (it was made ${saved.allowArchive ? 'with' : 'without'} --allow-archive): the flag applies to a new plan, not to a saved one`);
        parseSelectorsOrThrow(options.select, handlers.map((h) => h.kind));
        target = await openTarget({ ...global, onServer: debugServer(global), ...(saved ? { plannedEnv: saved.target.environment } : {}), ...(concurrency === undefined ? {} : { concurrency }) });
      } catch (error) {
        await early?.runner.close();
        throw error;
      }
      const { applyPlan, handlers, makeCheckedPlan, checkingInput, assertPlanStillValid } = engine;
      const style = global.color && process.stderr.isTTY ? colors : plain;
      // An apply is run to change things: embedded Postgres for the SQL check boots while the plan
      // reads Metabase (plan boots it only when needed).
      const state = await makeCheckedPlan({
        project: target.project,
        api: target.api,
        server: target.server,
        target: { environment: target.environment, url: safeUrl(target.url) },
        handlers,
        ...(saved ? checkingInput(saved) : { allowArchive: Boolean(options.allowArchive), seal: false, select: options.select }),
      }, { bootSql: true, render: (plan: Plan) => (!saved && hasWork(plan) ? renderPlanText(plan, style) : ''), ...(early ? { early } : {}), ...(saved ? { verify: (fresh) => assertPlanStillValid(saved, fresh, planFile as string, target.project.configFile) } : {}) });
      // Rendered while the plan's SQL compiled (makeCheckedPlan), printed now that it has.
      const { plan, rendered: planText } = state;

      const say = (text: string) => process.stderr.write(redactText(text));
      if (!hasWork(plan)) {
        say(plan.orphans.length === 0 ? 'No changes. Metabase matches the files.\n' : `Nothing to apply. ${plan.orphans.length} managed object(s) no longer in the files are kept; pass --allow-archive to archive them.\n`);
        if (options.json) process.stdout.write(`${JSON.stringify({ formatVersion: PLAN_FORMAT_VERSION, summary: plan.summary, applied: [], failed: [], notRun: [], events: [] })}\n`);
        return;
      }
      if (!saved) {
        say(planText);
        if (!options.yes) await confirm(`${plan.target.environment} (${plan.target.url})`);
      }

      const events: ApplyEvent[] = [];
      const total = plan.stages.reduce((n, s) => n + s.actions.filter((a) => a.op !== 'noop').length, 0);
      const progress = createProgress({ total, tty: Boolean(process.stderr.isTTY), style, write: say, columns: () => process.stderr.columns });
      // Ctrl-C: the objects in flight finish (each is one step), nothing new starts, and what was
      // and was not applied is printed; a second Ctrl-C quits at once.
      const stop = new AbortController();
      const onInterrupt = () => {
        if (stop.signal.aborted) process.exit(130);
        stop.abort();
        progress.end();
        say(style.yellow('\nStopping: the requests in flight finish, nothing new starts (Ctrl-C again to quit at once)…\n'));
      };
      process.on('SIGINT', onInterrupt);
      const result = await applyPlan({
        signal: stop.signal,
        state,
        handlers,
        concurrency: concurrency ?? target.project.config.concurrency,
        context: {
          api: target.api,
          project: target.project,
          server: await target.server,
          progress: (message) => progress.status(message),
        },
        emit: (event) => {
          events.push(event);
          progress.event(event);
        },
      }).finally(() => {
        progress.end();
        process.off('SIGINT', onInterrupt);
      });
      if (options.json) {
        // A refused body (`failed[].sent`) is a debugging aid, as in the error below: --json output
        // ends up in CI logs and artifacts, so it carries the bodies only when asked with --debug.
        const failed = global.debug ? result.failed : result.failed.map(({ address, error }) => ({ address, error }));
        process.stdout.write(redactText(`${JSON.stringify({ formatVersion: PLAN_FORMAT_VERSION, summary: plan.summary, ...result, failed, events }, null, 2)}\n`));
      }
      if (result.interrupted) {
        throw new MbSyncError(
          'INTERRUPTED',
          [
            `apply interrupted on ${plan.target.environment}: ${result.applied.length} change(s) applied, ${result.notRun.length} not run.`,
            // Each applied object had its line above: counted by kind here, the rest named.
            `  applied: ${result.applied.length === 0 ? 'nothing' : countByKind(result.applied)}`,
            `  not run: ${result.notRun.join(', ')}`,
            ...result.failed.map((f) => `  failed:  ${f.address}: ${f.error}`),
          ].join('\n'),
          { hint: 'run `mb-sync apply` again when you are ready: it plans from the live state and does the rest.', exitCode: ExitCode.interrupted },
        );
      }
      if (result.failed.length > 0) {
        throw new MbSyncError(
          'APPLY_FAILED',
          [
            `apply stopped: ${result.failed.length} change(s) failed.`,
            ...result.failed.map((f) => `  failed:  ${f.address}: ${f.error}${global.debug && f.sent ? `\n    sent: ${f.sent}` : ''}`),
            `  applied: ${result.applied.length === 0 ? 'nothing' : result.applied.join(', ')}`,
            `  not run: ${result.notRun.length === 0 ? 'nothing' : result.notRun.join(', ')}`,
          ].join('\n'),
          { hint: 'fix the cause and run `mb-sync apply` again: it plans from the live state and finishes the rest.' },
        );
      }
      const partial = plan.selection ? ` (partial: --select ${plan.selection.selectors.join(' ')})` : '';
      say(style.bold(`Apply complete on ${plan.target.environment} (${plan.target.url}): ${result.applied.length} change(s) applied${partial}.\n`));
    });
}

/** The engine, loaded once embedded Postgres for the SQL check has started (see the action). */
async function loadEngine() {
  return {
    applyPlan: (await import('../../engine/apply-plan.ts')).applyPlan,
    parseSelectorsOrThrow: (await import('../../engine/make-plan.ts')).parseSelectorsOrThrow,
    openTarget: (await import('../../engine/open-target.ts')).openTarget,
    handlers: (await import('../../resources/registry.ts')).handlers,
    makeCheckedPlan: (await import('../../engine/checked-plan.ts')).makeCheckedPlan,
    ...(await import('../../engine/saved-plan.ts')),
  };
}

async function confirm(where: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new MbSyncError('CONFIRMATION_REQUIRED', 'not on a terminal: refusing to apply without --yes', {
      hint: 'review `mb-sync plan`, then run `mb-sync apply --yes` (or apply a saved plan file)',
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-C at the prompt is a "no".
  const cancelled = new Promise<string>((resolve) => rl.once('SIGINT', () => resolve('')));
  const answer = await Promise.race([rl.question(`Apply these changes to ${where}? Only "yes" is accepted: `), cancelled]);
  rl.close();
  if (answer.trim() !== 'yes') throw new MbSyncError('CONFIRMATION_REQUIRED', 'apply cancelled; nothing was changed');
}

/** `12 card, 3 collection` from addresses. */
function countByKind(addresses: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const address of addresses) {
    const kind = address.slice(0, address.indexOf('.'));
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return [...counts].map(([kind, n]) => `${n} ${kind}`).join(', ');
}
