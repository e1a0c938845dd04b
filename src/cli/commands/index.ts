import type { Command } from 'commander';

/** Every command registers itself here: one line per command file. */
export const commands: Array<(program: Command) => void> = [];
