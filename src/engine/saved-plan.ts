import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { MbSyncError } from '../core/errors.ts';
import { planDigest } from '../core/fingerprint.ts';
import { movedObjects, type MovedObject } from '../core/object-fingerprints.ts';
import { PLAN_FORMAT_VERSION, type Action, type Plan, type PlanFingerprints } from '../core/plan.ts';
import type { PlanInput, PlanningState } from './make-plan.ts';

const SavedAction = z.object({ address: z.string(), kind: z.string(), key: z.string(), op: z.enum(['create', 'update', 'archive', 'noop']), changes: z.array(z.object({ path: z.string() }).loose()) }).loose();
const SavedPlanShape = z.object({
  project: z.string(),
  target: z.object({ environment: z.string() }).loose(),
  allowArchive: z.boolean(),
  stages: z.array(z.object({ kind: z.string(), actions: z.array(SavedAction) }).loose()),
  orphans: z.array(SavedAction),
  selection: z.object({ selectors: z.array(z.string()) }).loose().optional(),
}).loose();

/** A plan file as `plan --out` wrote it: of this format, its digest intact; anything else is refused. */
export async function readSavedPlan(file: string): Promise<Plan> {
  let parsed: Plan;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8')) as Plan;
  } catch (error) {
    throw new MbSyncError('PLAN_STALE', `cannot read the plan file ${file}: ${(error as Error).message}`);
  }
  const hint = 'make a new one with `mb-sync plan --out FILE`';
  const version: unknown = parsed?.formatVersion;
  if (typeof version === 'number' && version !== PLAN_FORMAT_VERSION) {
    const by = version < PLAN_FORMAT_VERSION ? 'an older' : 'a newer';
    throw new MbSyncError('PLAN_STALE', `${file} is a plan of format ${version}, made by ${by} mb-sync: this one applies plans of format ${PLAN_FORMAT_VERSION}`, { hint });
  }
  if (version !== PLAN_FORMAT_VERSION) throw new MbSyncError('PLAN_STALE', `${file} is not a plan of format ${PLAN_FORMAT_VERSION}`, { hint });
  // The parts apply reads, in the shape plan --out writes them: a file edited by hand (its digest
  // made again) is refused here, naming the part, rather than failing on it later.
  const shape = SavedPlanShape.safeParse(parsed);
  if (!shape.success) {
    const issue = shape.error.issues[0]!;
    throw new MbSyncError('PLAN_STALE', `${file} is not a plan as mb-sync writes it: ${issue.path.join('.') || '(root)'}: ${issue.message}`, { hint });
  }
  const { fingerprints } = parsed;
  const sealed = (['live', 'files', 'completed'] as const).every((side) => typeof fingerprints?.[side] === 'object' && fingerprints[side] !== null);
  if (typeof parsed.digest !== 'string' || !sealed || parsed.digest !== planDigest(parsed as unknown as Record<string, unknown>)) {
    throw new MbSyncError('PLAN_STALE', `${file} was changed after it was made (its digest does not match): refusing to apply it`, { hint: 'apply only a plan file as `mb-sync plan --out FILE` wrote it; make and review a new one' });
  }
  return parsed;
}

/**
 * How the plan that checks a saved one is made: with the saved plan's options and selection, and
 * fingerprinting every object the saved plan covers, even one its selection no longer keeps.
 */
export function checkingInput(saved: Plan): Pick<PlanInput, 'allowArchive' | 'seal' | 'select' | 'fingerprintAlso'> {
  return {
    allowArchive: saved.allowArchive,
    seal: true,
    select: saved.selection?.selectors ?? [],
    ...(saved.selection ? { fingerprintAlso: Object.values(saved.fingerprints!).flatMap((side) => Object.keys(side)) } : {}),
  };
}

/** How many moved objects a refusal names; the rest are counted. */
const NAMED = 5;

/**
 * Refuses a saved plan that no longer says what applying it would do: made for another target, or
 * an object it covers moved since, on either side (each named, with its file or its id). A partial
 * plan covers what it selected and what that needs: changes elsewhere do not count.
 */
export function assertPlanStillValid(saved: Plan, fresh: PlanningState, file: string, configFile: string): void {
  const now = fresh.plan;
  const hint = `run \`mb-sync plan${saved.selection ? ` --select ${saved.selection.selectors.join(' --select ')}` : ''} --out FILE\` again and review the new plan`;
  if (saved.project !== now.project || saved.target.url !== now.target.url || saved.target.environment !== now.target.environment) {
    throw new MbSyncError('PLAN_STALE', `${file} was made for ${saved.project} on ${saved.target.environment} (${saved.target.url}), not this target`, { hint });
  }
  const moved = movedObjects(saved.fingerprints!, now.fingerprints!);
  if (moved.files.length + moved.live.length + moved.completed.length > 0) {
    const where = [moved.files.length > 0 ? 'the project files' : '', moved.live.length + moved.completed.length > 0 ? 'Metabase' : ''].filter(Boolean).join(' and ');
    const covered = saved.selection ? `, in what it covers (--select ${saved.selection.selectors.join(' ')})` : '';
    const named = describeMoved(moved, saved, fresh, configFile);
    const rest = named.length > NAMED ? ` and ${named.length - NAMED} more` : '';
    throw new MbSyncError('PLAN_STALE', `${where} changed since ${file} was made${covered}: ${named.slice(0, NAMED).join(', ')}${rest}`, { hint });
  }
  // The digest catches an edited file, not one whose digest was computed again: what is applied is
  // the fresh plan, and it must do exactly what the file says, object by object (an object that
  // stays and one that is archived are told apart: what a container holds decides it).
  const actionsOf = (plan: Plan) => [
    ...plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop').map((a) => `${a.op} ${a.address}`),
    ...plan.orphans.map((a) => `keep ${a.address}`),
  ].sort();
  const savedActions = actionsOf(saved);
  const freshActions = actionsOf(now);
  if (savedActions.join('\n') !== freshActions.join('\n')) {
    const differ = [...freshActions.filter((a) => !savedActions.includes(a)), ...savedActions.filter((a) => !freshActions.includes(a)).map((a) => `not ${a}`)];
    throw new MbSyncError('PLAN_STALE', `${file} does not say what applying now would do (${differ.slice(0, NAMED).join(', ')}${differ.length > NAMED ? ', …' : ''}): refusing to apply it`, { hint });
  }
}

/**
 * One phrase per moved object, both sides together: `card.spend (changed in dashboards/energie.yaml)`,
 * `dashboard.energie (new in Metabase, id 40)`. An object the saved plan had on neither side was
 * not in it: a partial plan whose selection now needs it (its selector matches it, or what it
 * selected refers to it).
 */
function describeMoved(moved: Record<keyof PlanFingerprints, MovedObject[]>, saved: Plan, fresh: PlanningState, configFile: string): string[] {
  const fileOf = (address: string) => {
    const [kind, key] = splitAddress(address);
    const desired = fresh.desired.get(kind)?.find((d) => d.key === key);
    // Cards, dashboards and subscriptions say where they were written; the rest is the config's.
    return desired?.origin?.file ?? configFile;
  };
  const idOf = (address: string) => {
    const [kind, key] = splitAddress(address);
    const live = fresh.live.get(kind)?.find((l) => l.key === key);
    const planned = [...saved.stages.flatMap((s) => s.actions), ...saved.orphans].find((a: Action) => a.address === address);
    return live?.id ?? planned?.id;
  };
  // A full plan fingerprints everything: what it did not have is new.
  const inSaved = (address: string) => !saved.selection || Object.values(saved.fingerprints!).some((side) => Object.hasOwn(side, address));
  const phrases = new Map<string, string[]>();
  const say = (address: string, phrase: string) => phrases.set(address, [...(phrases.get(address) ?? []), phrase]);
  for (const { address, change } of moved.files) {
    if (!inSaved(address)) say(address, `not in the plan, now in its selection: ${fileOf(address)}`);
    else say(address, change === 'gone' ? 'removed from the files' : `${change} in ${fileOf(address)}`);
  }
  for (const { address, change } of moved.live) {
    if (!inSaved(address) && phrases.has(address)) continue;
    const id = idOf(address);
    const known = id === undefined ? '' : `, id ${id}`;
    if (!inSaved(address)) say(address, `not in the plan, now in its selection${known}`);
    else say(address, `${change === 'gone' ? 'gone from' : `${change} in`} Metabase${known}`);
  }
  // (One not in the plan before is said so on the files' side.)
  for (const { address } of moved.completed) if (inSaved(address)) say(address, 'what Metabase completes it with changed (e.g. a group\'s members)');
  return [...phrases].map(([address, said]) => `${address} (${said.join('; ')})`);
}

function splitAddress(address: string): [string, string] {
  const at = address.indexOf('.');
  return [address.slice(0, at), address.slice(at + 1)];
}
