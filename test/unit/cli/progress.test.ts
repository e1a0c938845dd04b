import { describe, expect, it } from 'vitest';
import { createProgress, fitToWidth } from '../../../src/cli/render/progress.ts';
import { plain } from '../../../src/cli/render/plan-text.ts';

function recorder(tty: boolean, columns = 200) {
  let clock = 0;
  const out: string[] = [];
  const progress = createProgress({ total: 3, tty, style: plain, write: (t) => out.push(t), now: () => clock, columns: () => columns });
  return { progress, out, tick: (ms: number) => (clock += ms) };
}

describe('apply progress', () => {
  it('without a terminal: one line per object, counted, and no control characters', () => {
    const { progress, out, tick } = recorder(false);
    progress.event({ type: 'start', address: 'card.a', op: 'create' });
    tick(120);
    progress.event({ type: 'done', address: 'card.a', op: 'create', id: 7, ms: 120 });
    progress.event({ type: 'failed', address: 'card.b', op: 'update', error: 'HTTP 400' });
    progress.event({ type: 'skipped', address: 'dashboard.d', op: 'create', reason: 'depends on card.b, which failed' });
    progress.end();
    expect(out.join('')).toBe([
      '[1/3] ✓ card.a created (id 7) 120 ms',
      '[2/3] ✗ card.b: HTTP 400',
      '[3/3] - dashboard.d: not run (depends on card.b, which failed)',
      '',
    ].join('\n'));
  });

  it('without a terminal, a long wait is reported every ten seconds, not at every poll', () => {
    const { progress, out, tick } = recorder(false);
    for (let s = 0; s < 25; s++) {
      progress.status(`waiting for the sync (${s} s)`);
      tick(1000);
    }
    expect(out).toEqual(['  waiting for the sync (0 s)\n', '  waiting for the sync (10 s)\n', '  waiting for the sync (20 s)\n']);
  });

  it('on a terminal: finished objects above a status line redrawn in place (n of N, elapsed, current)', () => {
    const { progress, out, tick } = recorder(true);
    progress.event({ type: 'start', address: 'card.a', op: 'create' });
    expect(out.at(-1)).toBe('[0/3] 0.0 s · card.a');
    tick(1500);
    progress.event({ type: 'done', address: 'card.a', op: 'create', id: 7, ms: 1500 });
    expect(out.slice(-3)).toEqual(['\r\u001b[2K', '[1/3] ✓ card.a created (id 7) 1500 ms\n', '[1/3] 1.5 s']);
    progress.status('waiting for the sync: 2 table(s)/field(s) still missing (3 s)');
    expect(out.at(-1)).toBe('[1/3] 1.5 s · waiting for the sync: 2 table(s)/field(s) still missing (3 s)');
    progress.end();
    expect(out.at(-1)).toBe('\r\u001b[2K');
  });

  it('on a terminal: a wait is shown beside the objects written meanwhile, and goes once it is over', () => {
    const { progress, out } = recorder(true);
    progress.status('waiting for the sync: 2 table(s)/field(s) still missing (1 s)');
    progress.event({ type: 'start', address: 'group.product', op: 'create' });
    progress.event({ type: 'start', address: 'collection.phoenix', op: 'create' });
    progress.event({ type: 'start', address: 'collection.aube', op: 'create' });
    expect(out.at(-1)).toBe('[0/3] 0.0 s · waiting for the sync: 2 table(s)/field(s) still missing (1 s) · group.product, collection.phoenix');
    progress.status(undefined);
    expect(out.at(-1)).toBe('[0/3] 0.0 s · group.product, collection.phoenix, collection.aube');
  });

  it('without a terminal, the end of a wait prints nothing', () => {
    const { progress, out, tick } = recorder(false);
    progress.status('waiting for the sync (0 s)');
    // Past the ten seconds between two lines of a wait: only the guard keeps the end quiet.
    tick(15_000);
    progress.status(undefined);
    expect(out).toEqual(['  waiting for the sync (0 s)\n']);
  });

  it('on a terminal: the status line is cut to the width, so that it never wraps (a wrapped line is not redrawn in place)', () => {
    const { progress, out } = recorder(true, 40);
    progress.event({ type: 'start', address: 'table-metadata.analytics.vw_daily_energy_ledger', op: 'create' });
    expect(out.at(-1)).toBe('[0/3] 0.0 s · table-metadata.analytics…');
    expect([...out.at(-1)!]).toHaveLength(39);
  });

  it('measures the width in terminal columns: wide characters count twice, control characters are shown as ?', () => {
    expect(fitToWidth('ab', 3)).toBe('ab');
    expect(fitToWidth('abc', 3)).toBe('a…');
    // Each of these takes two columns: 9 columns hold four of them and the ellipsis.
    expect(fitToWidth('データベース名', 10)).toBe('データベ…');
    expect(fitToWidth('🚀🚀🚀🚀🚀🚀', 8)).toBe('🚀🚀🚀…');
    expect(fitToWidth('card.x\u001b[2Jy', 80)).toBe('card.x?[2Jy');
    expect(fitToWidth('café', 80)).toBe('café');
  });
});
