import { execFile, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { SHELLS, completionScript, completionSpec } from '../../../src/cli/completion-script.ts';
import { commandPath, REFERENCE } from '../../../src/cli/help-reference.ts';
import { buildProgram } from '../../../src/cli/main.ts';

const BIN = join(import.meta.dirname, '../../../bin/mb-sync.js');

function allCommands(command: Command): Command[] {
  return command.commands.filter((c) => c.name() !== 'help').flatMap((c) => [c, ...allCommands(c)]);
}

function helpOf(command: Command): string {
  let out = '';
  command.configureOutput({ writeOut: (text) => { out += text; } });
  command.outputHelp();
  return out;
}

const installed = (shell: string) => spawnSync(shell, ['--version'], { stdio: 'ignore' }).status === 0;

describe('every command documents itself', () => {
  const commands = allCommands(buildProgram());

  it('has a reference entry for each command, and none for commands that do not exist', () => {
    expect(Object.keys(REFERENCE).sort()).toEqual(commands.map(commandPath).sort());
  });

  it.each(allCommands(buildProgram()).map((c) => [commandPath(c), c] as const))('`%s --help` lists the global options, the variables it reads and the exit codes', (_path, command) => {
    const help = helpOf(command);
    expect(help).toContain('Global Options:');
    for (const flag of ['--config <file>', '--env <name>', '--no-color', '--debug', '--version']) expect(help).toContain(flag);
    expect(help).toMatch(/Environment variables:\n {2}\S/);
    expect(help).toMatch(/Exit codes:\n {2}0 {2}\S/);
    expect(help).toContain('  1  ');
  });

  it('names the variables each kind of command really reads', () => {
    const help = (path: string) => helpOf(commands.find((c) => commandPath(c) === path)!);
    for (const path of ['plan', 'apply', 'pull']) {
      for (const name of ['MB_URL', 'MB_API_KEY', '<api_key_env>', 'MB_USERNAME, MB_PASSWORD', '.env.local']) expect(help(path)).toContain(name);
      expect(help(path)).toContain('3  the Metabase server is older than 0.58');
    }
    expect(help('plan')).toContain('2  with --detailed-exitcode');
    for (const path of ['db plan', 'db apply', 'db verify', 'db check', 'db purge']) expect(help(path)).toContain('DATABASE_URL');
    expect(help('db apply')).toContain('<readonly_password_env>');
    expect(help('bootstrap')).toContain('MB_ADMIN_EMAIL, MB_ADMIN_PASSWORD');
    expect(help('validate')).not.toContain('MB_API_KEY');
    for (const path of ['validate', 'plan', 'apply']) expect(help(path)).toContain('MB_SYNC_NO_CACHE');
    expect(help('apply')).toContain('130  interrupted (Ctrl-C)');
  });
});

describe('mb-sync --version', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(await readFile(join(import.meta.dirname, '../../../package.json'), 'utf8')) as { version: string };
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, '--version']);
    expect(stdout.trim()).toBe(version);
  });
});

describe('mb-sync completion', () => {
  const program = buildProgram();
  const paths = allCommands(program).map(commandPath);

  it.each(SHELLS)('%s: mentions every command and option of the program', (shell) => {
    const script = completionScript(completionSpec(program), shell);
    for (const path of paths) expect(script).toContain(`'${path}'`);
    for (const command of allCommands(program)) {
      for (const option of command.options) expect(script).toContain(shell === 'fish' ? `-l ${option.long!.slice(2)}` : option.long!);
    }
  });

  for (const shell of SHELLS) it.skipIf(!installed(shell))(`${shell}: the script parses (skipped when ${shell} is not installed)`, () => {
    const script = completionScript(completionSpec(program), shell);
    // From a file: fish does not read a script from a pipe here ("Unable to read input file").
    const file = join(mkdtempSync(join(tmpdir(), 'mb-sync-completion-')), `mb-sync.${shell}`);
    writeFileSync(file, script);
    const check = spawnSync(shell, [shell === 'fish' ? '--no-execute' : '-n', file], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it.skipIf(!installed('bash'))('bash: completes subcommands, options, and --env from the config', () => {
    const script = completionScript(completionSpec(program), 'bash');
    const complete = (words: string[]) => {
      const driver = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _mb_sync; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const out = spawnSync('bash', ['-c', driver], { cwd: join(import.meta.dirname, '../../..'), encoding: 'utf8' });
      return out.stdout.split('\n').filter(Boolean);
    };
    expect(complete(['mb-sync', ''])).toEqual(['validate', 'plan', 'apply', 'db', 'bootstrap', 'pull', 'completion']);
    expect(complete(['mb-sync', 'db', 've'])).toEqual(['verify']);
    expect(complete(['mb-sync', 'plan', '--det'])).toEqual(['--detailed-exitcode']);
    expect(complete(['mb-sync', 'plan', '--env', ''])).toEqual(['local', 'staging', 'prod']);
    expect(complete(['mb-sync', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('is printed by the command', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, 'completion', 'bash']);
    expect(stdout).toContain('complete -F _mb_sync mb-sync');
  });
});
