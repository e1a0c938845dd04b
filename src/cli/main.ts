import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { MbSyncError, ExitCode } from '../core/errors.ts';
import { redactText } from '../core/secrets.ts';
import { commands } from './commands/index.ts';
import { addReferenceHelp } from './help-reference.ts';

/**
 * The only place that knows the terminal and exit codes. Commands throw typed errors; they are
 * printed here once, with their hint, and mapped to the exit-code contract in README.md.
 */
export function buildProgram(): Command {
  const program = new Command()
    .name('mb-sync')
    .description('Metabase provisioning as code: plan and apply dashboards, cards, alerts and permissions from YAML')
    .option('-c, --config <file>', 'project config file', 'metabase.config.yaml')
    .option('-e, --env <name>', 'environment from the config (default: default_environment)')
    .option('--no-color', 'plain output')
    .option('--debug', 'print the Metabase version talked to, refused bodies and stack traces (secrets are still redacted)')
    .version(readVersion(), '-V, --version', 'print the mb-sync version')
    // Every subcommand's --help lists these too: they are accepted after the subcommand as well.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .exitOverride();
  for (const register of commands) register(program);
  addReferenceHelp(program);
  return program;
}

/**
 * The version from package.json, read as text rather than imported: no JSON module loading at start-up.
 * src/cli/main.ts and dist/cli/mb-sync.cjs both sit two folders below the package root.
 */
function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.ok;
  } catch (error) {
    return reportError(error, Boolean(program.opts().debug));
  }
}

function reportError(error: unknown, debug: boolean): number {
  if (error instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.error;
  }
  if (error instanceof MbSyncError) {
    process.stderr.write(redactText(`Error: ${error.message}\n`));
    if (error.hint) process.stderr.write(redactText(`Hint: ${error.hint}\n`));
    if (debug && error.stack) process.stderr.write(redactText(`${error.stack}\n`));
    return error.exitCode;
  }
  const message = error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
  process.stderr.write(redactText(`Error: ${message}\n`));
  return ExitCode.error;
}

const isEntryPoint = process.argv[1] !== undefined && /mb-sync(\.js|\.cjs)?$|cli[\\/]main\.[jt]s$/.test(process.argv[1]);
if (isEntryPoint) {
  // `mb-sync plan | head`: a reader that goes away is not an error. The run is not cut short either
  // (an apply would stop half way, and exit 0): what is left to print is dropped, the work finishes,
  // and the exit code is the run's. On stderr too (`apply 2>&1 | head`: its progress goes there).
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      stream.write = (() => true) as typeof stream.write;
    });
  }
  // Not awaited at the top level: the built CLI is a CommonJS bundle (scripts/build.mjs). A run
  // whose work never settles (nothing left to wait on) must not look like a success.
  let settled = false;
  void main(process.argv).then((code) => {
    settled = true;
    process.exitCode = code;
  });
  process.once('beforeExit', () => {
    if (settled) return;
    process.stderr.write('Error: mb-sync stopped before finishing (an operation never completed)\n');
    process.exitCode = ExitCode.error;
  });
}
