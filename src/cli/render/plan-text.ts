import type { Action, FieldChange, Plan } from '../../core/plan.ts';
import { formatValue, lineDiff, summariseRefs } from './format-value.ts';
import { describeField, elementSummary, groupChanges, isLongText, type ElementGroup } from './group-changes.ts';

export interface Style {
  green(text: string): string;
  yellow(text: string): string;
  red(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const ansi = (code: number) => (text: string) => `\u001b[${code}m${text}\u001b[0m`;
export const colors: Style = { green: ansi(32), yellow: ansi(33), red: ansi(31), dim: ansi(2), bold: ansi(1) };
export const plain: Style = { green: (t) => t, yellow: (t) => t, red: (t) => t, dim: (t) => t, bold: (t) => t };

const SYMBOL = { create: '+', update: '~', archive: '-', noop: ' ' } as const;

/** Terraform-like text: one block per changed object with field-level before → after. */
export function renderPlanText(plan: Plan, style: Style = plain): string {
  const lines: string[] = [];
  lines.push(style.bold(`mb-sync plan: project ${plan.project} → ${plan.target.environment} (${plan.target.url}, Metabase ${plan.target.metabaseVersion})`));
  if (plan.selection) {
    const { selectors, objects, of } = plan.selection;
    lines.push(style.yellow(`Partial plan (--select ${selectors.join(' ')}): ${objects} of ${of} objects, with what they need; what depends on them is left out.`));
  }
  lines.push('');
  const changed = plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
  if (changed.length === 0) lines.push(plan.orphans.length === 0 ? 'No changes. Metabase matches the files.' : 'Nothing to apply; Metabase differs from the files only by the objects below.');
  for (const action of changed) lines.push(...renderAction(action, style), '');
  if (plan.orphans.length > 0) {
    lines.push(style.dim('Managed objects no longer in the files (left alone; pass --allow-archive to archive them):'));
    for (const orphan of plan.orphans) lines.push(style.dim(`  ${orphan.address}${orphan.name === undefined ? '' : ` ${formatValue(orphan.name)}`}${orphan.id === undefined ? '' : ` (id ${orphan.id})`}${orphan.note === undefined ? '' : ` — ${orphan.note}`}`));
    lines.push('');
  }
  const { create, update, archive, noop } = plan.summary;
  lines.push(style.bold(`Plan: ${create} to create, ${update} to update, ${archive} to archive, ${noop} unchanged.`));
  return `${lines.join('\n')}\n`;
}

function renderAction(action: Action, style: Style): string[] {
  const paint = action.op === 'create' ? style.green : action.op === 'archive' ? style.red : style.yellow;
  const id = action.id === undefined ? '' : style.dim(` (id ${action.id})`);
  const cause = action.cause === 'drift' ? '  (drift: changed in Metabase, not in the files)' : action.cause === 'both' ? '  (changed in the files and in Metabase)' : '';
  const lines = [paint(`${SYMBOL[action.op]} ${action.address}`) + id + style.dim(`  ${action.op}${cause}`)];
  const name = (action.desired as { name?: unknown } | undefined)?.name;
  if (action.op === 'create' && typeof name === 'string') lines.push(`    name: ${formatValue(name)}`);
  if (action.op === 'archive' && action.name !== undefined) lines.push(`    name: ${formatValue(action.name)}`);
  for (const group of groupChanges(action.changes)) {
    if (group.type === 'field') lines.push(...renderChange(group.change, '    '));
    else lines.push(`    ${group.array}:`, ...group.elements.flatMap((element) => renderElement(element, style)));
  }
  const pending = action.knownAfterApply ?? [];
  const afterSync = pending.filter((r) => r.startsWith('table:') || r.startsWith('field:'));
  const afterApply = pending.filter((r) => !afterSync.includes(r));
  // Tables and fields get their ids from Metabase's sync of the database, during the apply.
  if (afterSync.length) lines.push(style.dim(`    (known after sync: ${summariseRefs(afterSync)})`));
  if (afterApply.length) lines.push(style.dim(`    (known after apply: ${summariseRefs(afterApply)})`));
  if (action.note) lines.push(style.dim(`    ${action.note}`));
  return lines;
}

/** `+ card x at (row, col), size w×h`, `~ card y: size_x 6 → 8`, `- card z`. */
function renderElement(element: ElementGroup, style: Style): string[] {
  if (element.op === 'add') return [style.green(`      + ${element.label}${elementSummary(element.body)}`)];
  if (element.op === 'remove') return [style.red(`      - ${element.label}`)];
  const head = style.yellow(`      ~ ${element.label}`);
  const [only] = element.fields;
  if (element.fields.length === 1 && !isLongText(only!.before, only!.after)) return [`${head}: ${describeField(only!, (v) => formatValue(v))}`];
  return [`${head}:`, ...element.fields.flatMap((field) => (isLongText(field.before, field.after) ? renderChange(field, '          ') : [`          ${describeField(field, (v) => formatValue(v))}`]))];
}

function renderChange(change: FieldChange, indent: string): string[] {
  const { path, before, after } = change;
  if (isLongText(before, after)) {
    return [`${indent}${path}:`, ...lineDiff(String(before ?? ''), String(after ?? ''), 2).map((line) => `${indent}  ${line}`)];
  }
  return [`${indent}${path}: ${formatValue(before)} → ${formatValue(after)}`];
}
