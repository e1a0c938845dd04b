import type { Plan } from '../../core/plan.ts';
import { formatValue } from './format-value.ts';

const ICON = { create: '🟢 create', update: '🟡 update', archive: '🔴 archive', noop: 'unchanged' } as const;

/** A plan as a pull-request comment: summary first, one collapsible section per changed object. */
export function renderPlanMarkdown(plan: Plan): string {
  const { create, update, archive, noop } = plan.summary;
  const out: string[] = [
    `### mb-sync plan — \`${plan.project}\` → ${plan.target.environment}`,
    '',
    `Metabase ${plan.target.metabaseVersion} at ${plan.target.url}`,
    '',
    `**${create} to create, ${update} to update, ${archive} to archive, ${noop} unchanged.**`,
    '',
    ...(plan.selection ? [`⚠️ Partial plan (\`--select ${plan.selection.selectors.join(' ')}\`): ${plan.selection.objects} of ${plan.selection.of} objects, with what they need.`, ''] : []),
  ];
  const changed = plan.stages.flatMap((s) => s.actions).filter((a) => a.op !== 'noop');
  if (changed.length === 0) out.push(plan.orphans.length === 0 ? 'No changes: Metabase matches the files.' : 'Nothing to apply: Metabase differs from the files only by the objects below.', '');
  for (const action of changed) {
    out.push(`<details><summary>${ICON[action.op]} <code>${action.address}</code></summary>`, '');
    if (action.changes.length > 0) {
      out.push('| field | before | after |', '|---|---|---|');
      for (const c of action.changes) out.push(`| \`${c.path}\` | ${cell(c.before)} | ${cell(c.after)} |`);
      out.push('');
    }
    if (action.knownAfterApply?.length) out.push(`Known after apply: ${action.knownAfterApply.map((r) => `\`${r}\``).join(', ')}`, '');
    out.push('</details>', '');
  }
  if (plan.orphans.length > 0) {
    out.push('Managed objects no longer in the files (archived only with `--allow-archive`):', '');
    for (const orphan of plan.orphans) out.push(`- \`${orphan.address}\`${orphan.name === undefined ? '' : ` ${cell(orphan.name)}`}${orphan.note === undefined ? '' : ` — ${orphan.note}`}`);
    out.push('');
  }
  return out.join('\n');
}

function cell(value: unknown): string {
  return `\`${formatValue(value, 80).replace(/\|/g, '\\|').replace(/`/g, "'").replace(/\n/g, ' ')}\``;
}
