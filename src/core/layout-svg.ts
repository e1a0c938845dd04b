import type { DashboardT, DashcardT } from '../model/dashboard.ts';
import type { Project } from './project.ts';

const CELL_W = 40;
const CELL_H = 28;
const PAD = 16;
const COLORS: Record<string, string> = { scalar: '#e8f3ff', line: '#eaf7ee', bar: '#fff4e0', row: '#fff4e0', pie: '#fdeef4', funnel: '#f1ecff', table: '#f2f2f2', heading: '#ffffff', text: '#fbfbf3' };

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export interface PlacedBox {
  title: string;
  kind: string;
  layout: DashcardT['layout'];
}

export function boxesOf(project: Pick<Project, 'cards'>, dashboard: DashboardT): PlacedBox[] {
  return dashboard.cards.map((placed) => {
    if ('heading' in placed) return { title: placed.heading, kind: 'heading', layout: placed.layout };
    if ('text' in placed) return { title: placed.text.split('\n')[0]!.replace(/[*_`]/g, ''), kind: 'text', layout: placed.layout };
    const key = 'key' in placed ? placed.key : placed.card;
    const card = project.cards.get(key)?.card;
    return { title: card?.name ?? key, kind: card?.display ?? 'table', layout: placed.layout };
  });
}

/** A picture of a dashboard's 24-column grid: each card a box with its title and display. */
export function layoutSvg(project: Pick<Project, 'cards'>, dashboard: DashboardT): string {
  const boxes = boxesOf(project, dashboard);
  const rows = Math.max(1, ...boxes.map((b) => b.layout.row + b.layout.height));
  const width = 24 * CELL_W + PAD * 2;
  const height = rows * CELL_H + PAD * 2 + 28;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fafafa"/>`,
    `<text x="${PAD}" y="${PAD + 12}" font-size="16" font-weight="bold">${escape(dashboard.name)}</text>`,
  ];
  for (let c = 0; c <= 24; c++) parts.push(`<line x1="${PAD + c * CELL_W}" y1="${PAD + 28}" x2="${PAD + c * CELL_W}" y2="${height - PAD}" stroke="#eee"/>`);
  for (const box of boxes) {
    const x = PAD + box.layout.col * CELL_W + 2;
    const y = PAD + 28 + box.layout.row * CELL_H + 2;
    const w = box.layout.width * CELL_W - 4;
    const h = box.layout.height * CELL_H - 4;
    const maxChars = Math.max(4, Math.floor(w / 7));
    const title = box.title.length > maxChars ? `${box.title.slice(0, maxChars - 1)}…` : box.title;
    parts.push(`<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="4" fill="${COLORS[box.kind] ?? '#f2f2f2'}" stroke="#999"/>`);
    parts.push(`<text x="${x + 8}" y="${y + 17}" font-size="${box.kind === 'heading' ? 14 : 12}" font-weight="${box.kind === 'heading' ? 'bold' : 'normal'}">${escape(title)}</text>`);
    if (box.kind !== 'heading' && h > 30) parts.push(`<text x="${x + 8}" y="${y + 33}" font-size="10" fill="#666">${escape(box.kind)} · ${box.layout.width}×${box.layout.height}</text>`);
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** docs/dashboards.md: each dashboard, its picture and what each card shows. */
export function dashboardsMarkdown(project: Pick<Project, 'cards' | 'dashboards'>): string {
  const out = [
    '# The Phoenix dashboards',
    '',
    'Generated from `dashboards/*.yaml` by `npm run docs` (a test fails when this page is stale).',
    'Each picture is the 24-column grid as Metabase lays it out.',
    '',
  ];
  for (const { dashboard } of project.dashboards) {
    out.push(`## ${dashboard.name}`, '', dashboard.description ?? '', '', `![${dashboard.name}](dashboards/${dashboard.key}.svg)`, '');
    out.push(`Filters: ${dashboard.filters.map((f) => `${f.name} (\`${f.type}\`${f.default ? `, default \`${String(f.default)}\`` : ''})`).join(', ') || 'none'}.`, '');
    out.push('| card | display | query |', '|---|---|---|');
    for (const placed of dashboard.cards) {
      if (!('key' in placed) && !('card' in placed)) continue;
      const card = project.cards.get('key' in placed ? placed.key : placed.card)!.card;
      const source = card.sql !== undefined ? 'SQL' : `${card.query!.aggregate?.join(', ') ?? 'rows'} of \`${card.query!.source}\`${card.query!.breakout ? ` by ${card.query!.breakout.join(', ')}` : ''}`;
      out.push(`| ${card.name} | ${card.display} | ${source} |`);
    }
    if (dashboard.subscriptions.length) out.push('', `Subscriptions: ${dashboard.subscriptions.map((s) => `${s.name ?? dashboard.name}, every ${s.schedule.every}${s.schedule.day ? ` (${s.schedule.day})` : ''} at ${s.schedule.hour ?? 8}:00, to ${s.to.join(', ')}`).join('; ')}.`);
    out.push('');
  }
  return out.join('\n');
}
