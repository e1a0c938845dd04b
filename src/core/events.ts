import type { Address, Operation } from './plan.ts';

/** What apply reports, per object and stage; renderers print them, --json collects them. */
export type ApplyEvent =
  | { type: 'start'; address: Address; op: Operation }
  | { type: 'done'; address: Address; op: Operation; id?: number | string; ms: number }
  | { type: 'failed'; address: Address; op: Operation; error: string }
  | { type: 'skipped'; address: Address; op: Operation; reason: string }
  | { type: 'info'; message: string };
