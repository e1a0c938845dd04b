import type { Command } from 'commander';
import { printableUrl } from '../../core/secrets.ts';
import type { ServerInfo } from '../../metabase/types.ts';

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

/** With --debug, the server a command talks to, on stderr: `debug: Metabase v0.58.15 at https://… (environment staging)`. */
export function debugServer(global: GlobalOptions): ((server: ServerInfo, target: { environment: string; url: string }) => void) | undefined {
  if (!global.debug) return undefined;
  return (server, target) => process.stderr.write(`debug: Metabase ${server.tag} at ${printableUrl(target.url)} (environment ${target.environment})\n`);
}
