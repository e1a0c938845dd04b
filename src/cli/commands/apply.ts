import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { MbSyncError } from '../../core/errors.ts';
import { hasChanges, PLAN_FORMAT_VERSION, type Plan } from '../../core/plan.ts';
import { redactText } from '../../core/secrets.ts';
import type { ApplyEvent } from '../../engine/events.ts';
import { renderEvent } from '../render/events-text.ts';
import { colors, plain, renderPlanText } from '../render/plan-text.ts';
import { safeUrl } from '../../config/resolve-target.ts';
import { planDigest } from '../../core/fingerprint.ts';
import { debugServer, globalOptions } from './global-options.ts';

interface ApplyOptions {
  yes?: boolean;
  json?: boolean;
  allowArchive?: boolean;
  concurrency?: string;
}

export function register(program: Command): void {
  program
    .command('apply')
    .argument('[plan-file]', 'a plan saved with `plan --out`; refused if Metabase or the files changed since')
    .description('make the live Metabase match the files')
    .option('-y, --yes', 'do not ask for confirmation (required when not on a terminal)')
    .option('--concurrency <n>', 'requests in flight at once (default: the config\'s concurrency, 8)')
    .option('--json', 'print the result as one JSON document on stdout')
    .option('--allow-archive', 'archive managed objects removed from the files')
    .action(async (planFile: string | undefined, options: ApplyOptions, command: Command) => {
      const { applyPlan } = await import('../../engine/apply-plan.ts');
      const { makePlan } = await import('../../engine/make-plan.ts');
      const { openTarget } = await import('../../engine/open-target.ts');
      const { handlers } = await import('../../resources/registry.ts');
      const { assertChangedSqlCompiles } = await import('../../engine/validate-offline.ts');
      const global = globalOptions(command);
      const saved = planFile === undefined ? undefined : await readSavedPlan(planFile);
      const concurrency = options.concurrency === undefined ? undefined : Number(options.concurrency);
      if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) throw new MbSyncError('CONFIG_INVALID', `--concurrency wants a whole number from 1 to 64 (got "${options.concurrency}")`);
      const target = await openTarget({ ...global, onServer: debugServer(global), ...(concurrency === undefined ? {} : { concurrency }) });
      const state = await makePlan({
        project: target.project,
        api: target.api,
        server: target.server,
        target: { environment: target.environment, url: safeUrl(target.url) },
        handlers,
        allowArchive: saved ? saved.allowArchive : Boolean(options.allowArchive),
      });
      const { plan } = state;
      if (saved) assertPlanStillValid(saved, plan, planFile as string);
      await assertChangedSqlCompiles(target.project, plan);

      const style = global.color && process.stderr.isTTY ? colors : plain;
      const say = (text: string) => process.stderr.write(redactText(text));
      if (!hasChanges(plan)) {
        say('No changes. Metabase matches the files.\n');
        if (options.json) process.stdout.write(`${JSON.stringify({ formatVersion: PLAN_FORMAT_VERSION, summary: plan.summary, applied: [], failed: [], notRun: [], events: [] })}\n`);
        return;
      }
      if (!saved) {
        say(renderPlanText(plan, style));
        if (!options.yes) await confirm(`${plan.target.environment} (${plan.target.url})`);
      }

      const events: ApplyEvent[] = [];
      const result = await applyPlan({
        state,
        handlers,
        concurrency: concurrency ?? target.project.config.concurrency,
        context: {
          api: target.api,
          project: target.project,
          server: target.server,
          progress: process.stderr.isTTY ? (message) => say(`\r\u001b[2K${message}`) : () => {},
        },
        emit: (event) => {
          events.push(event);
          if (event.type !== 'start') say(renderEvent(event, style));
        },
      });
      if (options.json) {
        process.stdout.write(redactText(`${JSON.stringify({ formatVersion: PLAN_FORMAT_VERSION, summary: plan.summary, ...result, events }, null, 2)}\n`));
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
      say(style.bold(`Apply complete on ${plan.target.environment} (${plan.target.url}): ${result.applied.length} change(s) applied.\n`));
    });
}

async function readSavedPlan(file: string): Promise<Plan> {
  let parsed: Plan;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Plan;
  } catch (error) {
    throw new MbSyncError('PLAN_STALE', `cannot read the plan file ${file}: ${(error as Error).message}`);
  }
  if (parsed?.formatVersion !== PLAN_FORMAT_VERSION) {
    throw new MbSyncError('PLAN_STALE', `${file} is not a plan of format ${PLAN_FORMAT_VERSION}`, { hint: 'make a new one with `mb-sync plan --out FILE`' });
  }
  if (typeof parsed.digest !== 'string' || parsed.digest !== planDigest(parsed as unknown as Record<string, unknown>)) {
    throw new MbSyncError('PLAN_STALE', `${file} was changed after it was made (its digest does not match): refusing to apply it`, { hint: 'apply only a plan file as `mb-sync plan --out FILE` wrote it; make and review a new one' });
  }
  return parsed;
}

function assertPlanStillValid(saved: Plan, fresh: Plan, file: string): void {
  const hint = 'run `mb-sync plan --out FILE` again and review the new plan';
  if (saved.project !== fresh.project || saved.target.url !== fresh.target.url || saved.target.environment !== fresh.target.environment) {
    throw new MbSyncError('PLAN_STALE', `${file} was made for ${saved.project} on ${saved.target.environment} (${saved.target.url}), not this target`, { hint });
  }
  if (saved.desiredFingerprint !== fresh.desiredFingerprint) {
    throw new MbSyncError('PLAN_STALE', `the project files changed since ${file} was made`, { hint });
  }
  if (saved.liveFingerprint !== fresh.liveFingerprint) {
    throw new MbSyncError('PLAN_STALE', `Metabase changed since ${file} was made`, { hint });
  }
}

async function confirm(where: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new MbSyncError('CONFIRMATION_REQUIRED', 'not on a terminal: refusing to apply without --yes', {
      hint: 'review `mb-sync plan`, then run `mb-sync apply --yes` (or apply a saved plan file)',
    });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`Apply these changes to ${where}? Only "yes" is accepted: `);
  rl.close();
  if (answer.trim() !== 'yes') throw new MbSyncError('CONFIRMATION_REQUIRED', 'apply cancelled; nothing was changed');
}
