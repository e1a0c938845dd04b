import type { ApplyEvent } from '../../core/events.ts';
import { renderEvent } from './events-text.ts';
import type { Style } from './plan-text.ts';

export interface Progress {
  /** One apply event: a finished object is counted and printed. */
  event(event: ApplyEvent): void;
  /**
   * A wait with no object to count (the database's sync): shown on the status line on a terminal,
   * before the objects written meanwhile; `undefined` once the wait is over.
   */
  status(message: string | undefined): void;
  /** Clears the status line. */
  end(): void;
}

/** East Asian wide characters and pictographs take two columns of a terminal. */
const WIDE = /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|\p{Extended_Pictographic}/u;

/**
 * `text` in at most `width - 1` columns (a line as wide as the terminal wraps in some), cut with an
 * ellipsis; control characters (from a hand-edited marker, say) are shown as `?`.
 */
export function fitToWidth(text: string, width: number): string {
  const room = Math.max(width - 1, 1);
  const chars = [...text.replace(/\p{Cc}/gu, '?')];
  const columns = (ch: string) => (/\p{Mn}/u.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1);
  if (chars.reduce((sum, ch) => sum + columns(ch), 0) <= room) return chars.join('');
  let used = 1; // the ellipsis
  let out = '';
  for (const ch of chars) {
    if (used + columns(ch) > room) break;
    used += columns(ch);
    out += ch;
  }
  return `${out}…`;
}

/**
 * Apply's progress on stderr (stdout stays for --json). On a terminal: each finished object on its
 * own line, under a status line redrawn in place — `[n/N] elapsed · current object`. Elsewhere (CI
 * logs): one line per object, `[n/N]` first, and no control characters.
 */
export function createProgress(options: { total: number; tty: boolean; style: Style; write: (text: string) => void; now?: () => number; columns?: () => number | undefined }): Progress {
  const { total, tty, style, write } = options;
  const now = options.now ?? Date.now;
  const started = now();
  const running = new Set<string>();
  let finished = 0;
  let statusShown = false;
  let waiting: string | undefined;
  let lastStatusLine = -Infinity;

  const counter = () => `[${String(finished).padStart(String(total).length)}/${total}]`;
  const seconds = () => `${((now() - started) / 1000).toFixed(1)} s`;
  const clear = () => {
    if (statusShown) write('\r\u001b[2K');
    statusShown = false;
  };
  const redraw = () => {
    if (!tty) return;
    clear();
    const current = [waiting, [...running].slice(0, waiting === undefined ? 3 : 2).join(', ')].filter(Boolean).join(' · ');
    // Cut to the terminal's width, read at each redraw: a line that wraps is redrawn below itself
    // instead of in place.
    write(style.dim(fitToWidth(`${counter()} ${seconds()}${current ? ` · ${current}` : ''}`, options.columns?.() ?? 80)));
    statusShown = true;
  };

  return {
    event(event) {
      if (event.type === 'start') {
        running.add(event.address);
        redraw();
        return;
      }
      if (event.type !== 'info') {
        running.delete(event.address);
        finished += 1;
      }
      clear();
      const line = renderEvent(event, style);
      write(event.type === 'info' ? line : `${style.dim(counter())}${line.replace(/^ {2}/, ' ')}`);
      redraw();
    },
    status(message) {
      waiting = message;
      if (tty) redraw();
      else if (message !== undefined && now() - lastStatusLine >= 10_000) {
        // A log gets a wait's news every ten seconds, not every poll.
        lastStatusLine = now();
        write(`  ${message}\n`);
      }
    },
    end() {
      waiting = undefined;
      clear();
    },
  };
}
