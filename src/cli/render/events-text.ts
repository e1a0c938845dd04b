import type { ApplyEvent } from '../../core/events.ts';
import type { Style } from './plan-text.ts';

const VERB = { create: 'created', update: 'updated', archive: 'archived', noop: 'unchanged' } as const;

/** One line per apply event, for stderr. */
export function renderEvent(event: ApplyEvent, style: Style): string {
  switch (event.type) {
    case 'start':
      return style.dim(`  … ${event.address}: ${event.op}\n`);
    case 'done':
      return `${style.green('  ✓')} ${event.address} ${VERB[event.op]}${event.id === undefined ? '' : style.dim(` (id ${event.id})`)} ${style.dim(`${event.ms} ms`)}\n`;
    case 'failed':
      return `${style.red('  ✗')} ${event.address}: ${event.error}\n`;
    case 'skipped':
      return style.dim(`  - ${event.address}: not run (${event.reason})\n`);
    case 'info':
      return `  ${event.message}\n`;
  }
}
