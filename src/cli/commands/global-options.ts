import type { Command } from 'commander';

export interface GlobalOptions {
  configPath: string;
  env?: string;
  color: boolean;
  debug: boolean;
}

/** The program-level options (--config, --env, --no-color, --debug) as seen from a subcommand. */
export function globalOptions(command: Command): GlobalOptions {
  const opts = command.optsWithGlobals<{ config: string; env?: string; color: boolean; debug?: boolean }>();
  return { configPath: opts.config, env: opts.env, color: opts.color && !process.env.NO_COLOR, debug: Boolean(opts.debug) };
}
