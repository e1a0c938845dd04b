import { Option, type Command } from 'commander';
import { MbSyncError } from '../../core/errors.ts';
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

/** `--select` and `--concurrency`, as plan and apply both take them. */
export function targetingOptions(): Option[] {
  return [
    new Option('--select <selector>', 'only these objects and what they need: kind:key, globs allowed (card:spend-*, alert:*); repeatable')
      .argParser((value: string, previous: string[]) => [...previous, value])
      .default([] as string[]),
    new Option('--concurrency <n>', "requests in flight at once (default: the config's concurrency, 8)").argParser(parseConcurrency),
  ];
}

function parseConcurrency(value: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 1 && n <= 64)) throw new MbSyncError('CONFIG_INVALID', `--concurrency wants a whole number from 1 to 64 (got "${value}")`);
  return n;
}
