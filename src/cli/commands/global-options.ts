import type { Command } from 'commander';

export interface GlobalOptions {
  configPath: string;
  /** --config was given: a missing file is then an error for every command, never defaults. */
  configExplicit: boolean;
  env?: string;
  color: boolean;
  debug: boolean;
}

/** The program-level options (--config, --env, --no-color, --debug) as seen from a subcommand. */
export function globalOptions(command: Command): GlobalOptions {
  const opts = command.optsWithGlobals<{ config: string; env?: string; color: boolean; debug?: boolean }>();
  let root: Command = command;
  while (root.parent) root = root.parent;
  const configExplicit = root.getOptionValueSource('config') === 'cli';
  return { configPath: opts.config, configExplicit, env: opts.env, color: opts.color && !process.env.NO_COLOR, debug: Boolean(opts.debug) };
}
