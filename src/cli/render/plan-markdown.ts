import type { Action, FieldChange, Plan } from '../../core/plan.ts';
import { isRef } from '../../core/refs.ts';
import { formatValue, lineDiff, summariseRefs } from './format-value.ts';
import { describeField, elementSummary, groupChanges, isLongText, type ElementGroup } from './group-changes.ts';

/** Under GitHub's 65,536 characters for a comment, with room for the marker the workflow adds. */
export const MARKDOWN_LIMIT = 60_000;

export interface MarkdownOptions {
  /** Longest output; objects past it are left out and a last line says where the full plan is. */
  maxChars?: number;
  /** Where the whole plan can be read, for that last line. */
  fullPlan?: string;
}

const ICON = { create: '🟢', update: '🟡', archive: '🔴', noop: '⚪' } as const;
const FULL_PLAN = 'the `mb-sync-plan` artifact of this workflow run, or `mb-sync plan` run locally';

/**
 * A plan as a pull-request comment: summary first, creates as a table, one collapsible section per
 * update with before → after per field, SQL as a diff, orphans by key and name. The target's URL is
 * never printed (a staging URL is treated as a secret): the environment names it.
 */
export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? MARKDOWN_LIMIT;
  const { create, update, archive, noop } = plan.summary;
  const head = [
    `### mb-sync plan — \`${plan.project}\` → ${plan.target.environment}`,
    '',
    `Metabase ${plan.target.metabaseVersion} · **${create} to create, ${update} to update, ${archive} to archive, ${noop} unchanged.**`,
    '',
    ...(plan.selection ? [`⚠️ Partial plan (\`--select ${plan.selection.selectors.join(' ')}\`): ${plan.selection.objects} of ${plan.selection.of} objects, with what they need.`, ''] : []),
  ].join('\n');
  const actions = plan.stages.flatMap((s) => s.actions);
  const sections = (list: Action[], orphans: Action[]): Block[] => [
    ...(list.some((a) => a.op === 'create' && a.note !== undefined)
      ? table('Create', list.filter((a) => a.op === 'create'), ['kind', 'key', 'name', 'where', 'note'], (a) => [a.kind, code(a.key), text(nameOf(a)), where(a), text(a.note ?? '')])
      : table('Create', list.filter((a) => a.op === 'create'), ['kind', 'key', 'name', 'where'], (a) => [a.kind, code(a.key), text(nameOf(a)), where(a)])),
    ...list.filter((a) => a.op === 'update').map(updateBlock),
    ...table('Archive', list.filter((a) => a.op === 'archive'), ['kind', 'key', 'name', 'note'], (a) => [a.kind, code(a.key), text(a.name ?? ''), text(a.note ?? '')]),
    ...(orphans.some((a) => a.note !== undefined)
      ? table('Managed objects no longer in the files (archived only with `--allow-archive`)', orphans, ['kind', 'key', 'name', 'note'], (a) => [a.kind, code(a.key), text(a.name ?? ''), text(a.note ?? '')])
      : table('Managed objects no longer in the files (archived only with `--allow-archive`)', orphans, ['kind', 'key', 'name'], (a) => [a.kind, code(a.key), text(a.name ?? '')])),
  ];
  // With a baseline (plan --baseline), this change's own objects come first, drift made in
  // Metabase apart: reviewers see what the pull request does, and what apply would also undo.
  const drift = (a: Action) => a.cause === 'drift';
  const blocks: Block[] = actions.some((a) => a.cause !== undefined)
    ? [
        ...heading('Changes in this pull request', sections(actions.filter((a) => !drift(a)), plan.orphans.filter((a) => !drift(a)))),
        ...heading('Drift: changed in Metabase, not in git (apply puts it back as the files say)', sections(actions.filter(drift), plan.orphans.filter(drift))),
      ]
    : sections(actions, plan.orphans);
  if (blocks.length === 0) return `${head}\nNo changes: Metabase matches the files.\n`;
  if (actions.every((a) => a.op === 'noop')) blocks.unshift({ full: 'Nothing to apply: Metabase differs from the files only by the objects below.\n', short: '', objects: 0 });
  return fit(head, blocks, maxChars, options.fullPlan ?? FULL_PLAN);
}

/**
 * Past the cap, an object is named on one line without its details; when even that no longer fits,
 * it is left out. Either way the last line says where the whole plan is.
 */
function fit(head: string, blocks: Block[], maxChars: number, fullPlan: string): string {
  const room = maxChars - 400;
  const out = [head];
  let length = head.length;
  let cut = 0;
  let left = 0;
  for (const block of blocks) {
    const shown = length + block.full.length + 1 <= room ? block.full : length + block.short.length + 1 <= room ? block.short : undefined;
    if (shown === undefined) left += block.objects;
    else {
      if (shown !== block.full) cut += block.objects;
      out.push(shown);
      length += shown.length + 1;
    }
  }
  if (cut + left > 0) {
    const what = [cut > 0 ? `${cut} shown without details` : '', left > 0 ? `${left} left out` : ''].filter(Boolean).join(', ');
    const total = blocks.reduce((n, b) => n + b.objects, 0);
    out.push(`> ✂️ **Cut to fit a pull-request comment** (${maxChars.toLocaleString('en')} characters): of ${total} objects, ${what}. The full plan: ${fullPlan}.\n`);
  }
  return out.join('\n');
}

/** A titled group of sections, or nothing when it is empty. */
function heading(title: string, blocks: Block[]): Block[] {
  if (blocks.length === 0) return [];
  return [{ full: `#### ${title}\n`, short: `#### ${title}\n`, objects: 0 }, ...blocks];
}

/** A section of the comment, whole or as one line, and how many objects it is about. */
interface Block {
  full: string;
  short: string;
  objects: number;
}

function table(title: string, actions: Action[], columns: string[], row: (a: Action) => string[]): Block[] {
  if (actions.length === 0) return [];
  const lines = [`#### ${title}`, '', `| ${columns.join(' | ')} |`, `|${columns.map(() => '---').join('|')}|`];
  for (const action of actions) lines.push(`| ${row(action).join(' | ')} |`);
  return [{ full: `${lines.join('\n')}\n`, short: `#### ${title}\n\n${actions.length} objects (list cut)\n`, objects: actions.length }];
}

function updateBlock(action: Action): Block {
  const name = nameOf(action);
  const out = [`<details open><summary>${ICON.update} <code>${action.address}</code>${name ? ` — ${html(name)}` : ''}</summary>`, ''];
  // Filed with this pull request's changes, but someone also edited it in Metabase: merging overwrites that edit.
  const both = action.cause === 'both' ? '⚠️ Also changed in Metabase since the base branch: applying this overwrites that edit.' : undefined;
  if (both) out.push(both, '');
  const rows: string[] = [];
  const rest: string[] = [];
  for (const group of groupChanges(action.changes)) {
    if (group.type === 'field' && !isLongText(group.change.before, group.change.after)) rows.push(`| \`${group.change.path}\` | ${cell(group.change.before)} | ${cell(group.change.after)} |`);
    else if (group.type === 'field') rest.push(`${/\.native$/.test(group.change.path) ? '**SQL** ' : ''}\`${group.change.path}\`:`, '', ...diffBlock(group.change), '');
    else rest.push(`**\`${group.array}\`**`, '', ...group.elements.flatMap(elementLines), '');
  }
  if (rows.length > 0) out.push('| field | before | after |', '|---|---|---|', ...rows, '');
  out.push(...rest);
  if (action.knownAfterApply?.length) out.push(`Known after apply: ${summariseRefs(action.knownAfterApply)}`, '');
  if (action.note) out.push(text(action.note), '');
  out.push('</details>', '');
  return { full: out.join('\n'), short: `${ICON.update} <code>${action.address}</code>: ${action.changes.length} changes (details cut)${both ? ` ${both}` : ''}\n`, objects: 1 };
}

/** One bullet per element; a changed element's fields nested under it, long text as a diff. */
function elementLines(element: ElementGroup): string[] {
  const label = `\`${element.label}\``;
  if (element.op === 'add') return [`- ${ICON.create} added ${label}${elementSummary(element.body)}`];
  if (element.op === 'remove') return [`- ${ICON.archive} removed ${label}`];
  const short = element.fields.filter((f) => !isLongText(f.before, f.after));
  const long = element.fields.filter((f) => isLongText(f.before, f.after));
  const lines = [`- ${ICON.update} ${label}: ${short.map((f) => describeField(f, inline, `\`${f.path}\``)).join(', ')}`.replace(/: $/, '')];
  for (const field of long) lines.push(`  \`${field.path}\`:`, '', ...diffBlock(field).map((line) => `  ${line}`));
  return lines;
}

function diffBlock(change: FieldChange): string[] {
  const lines = lineDiff(String(change.before ?? ''), String(change.after ?? ''), 2);
  // A fence longer than any run of backticks inside, so SQL with ``` cannot close it early.
  const fence = '`'.repeat(Math.max(3, ...lines.map((l) => (l.match(/`+/g) ?? []).reduce((m, run) => Math.max(m, run.length + 1), 0))));
  return [`${fence}diff`, ...lines, fence];
}

function nameOf(action: Action): string {
  const name = (action.desired as { name?: unknown } | undefined)?.name ?? action.name;
  return typeof name === 'string' ? name : '';
}

/** The collection, dashboard, card or table an object lives in or belongs to. */
function where(action: Action): string {
  const body = (action.desired ?? {}) as Record<string, unknown>;
  for (const field of ['collection', 'parent', 'dashboard', 'card', 'ref']) {
    const value = body[field];
    if (isRef(value)) return code(value.$ref);
  }
  return '';
}

/** Outside tables a pipe needs no escape. */
function inline(value: unknown): string {
  return `\`${formatValue(value, 80).replace(/\n/g, ' ').replace(/`/g, "'")}\``;
}

function cell(value: unknown): string {
  return code(formatValue(value, 80).replace(/\n/g, ' '));
}

function code(value: string): string {
  return `\`${value.replace(/`/g, "'").replace(/\|/g, '\\|')}\``;
}

function text(value: string): string {
  return html(value).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function html(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
