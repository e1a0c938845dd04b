import type { DashboardT } from '../model/dashboard.ts';

/** The 24-column grid: in bounds, and no two cards of one tab overlapping. */
export function checkLayout(dashboard: Pick<DashboardT, 'cards'>): Array<{ index: number; message: string }> {
  const problems: Array<{ index: number; message: string }> = [];
  const label = (i: number) => {
    const c = dashboard.cards[i]!;
    return 'key' in c ? c.key : 'card' in c ? c.card : 'heading' in c ? `heading "${c.heading}"` : `text #${i}`;
  };
  dashboard.cards.forEach((card, i) => {
    const { col, width } = card.layout;
    if (col + width > 24) problems.push({ index: i, message: `col ${col} + width ${width} exceeds the 24-column grid` });
    for (let j = 0; j < i; j++) {
      const other = dashboard.cards[j]!;
      if ((other.tab ?? null) !== (card.tab ?? null)) continue;
      const a = card.layout;
      const b = other.layout;
      const overlap = a.col < b.col + b.width && b.col < a.col + a.width && a.row < b.row + b.height && b.row < a.row + a.height;
      if (overlap) problems.push({ index: i, message: `${label(i)} overlaps ${label(j)} (rows ${a.row}–${a.row + a.height - 1}, cols ${a.col}–${a.col + a.width - 1})` });
    }
  });
  return problems;
}
