import type { Command } from 'commander';
import { MbSyncError } from '../../core/errors.ts';
import { printableUrl } from '../../core/secrets.ts';
import { globalOptions } from './global-options.ts';

interface Options {
  url: string;
  keyFile: string;
  smtpHost?: string;
  smtpPort: string;
  timeout: string;
}

export function register(program: Command): void {
  program
    .command('bootstrap')
    .description('first-run setup of a fresh local Metabase: admin user, API key written to a git-ignored env file')
    .option('--url <url>', 'Metabase URL', process.env.MB_URL ?? 'http://localhost:3000')
    .option('--key-file <file>', 'where to write MB_API_KEY and MB_LOCAL_URL (git-ignored; mb-sync reads .env.local by itself)', '.env.local')
    .option('--smtp-host <host>', 'configure e-mail through this SMTP server (e.g. mailpit) when Metabase has none')
    .option('--smtp-port <port>', 'SMTP port', '1025')
    .option('--timeout <seconds>', 'how long to wait for Metabase to start', '300')
    .action(async (options: Options, command: Command) => {
      const { bootstrap } = await import('../../engine/bootstrap.ts');
      const seconds = Number(options.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) {
        throw new MbSyncError('CONFIG_INVALID', `--timeout wants a number of seconds, e.g. 300 (got "${options.timeout}")`);
      }
      const email = process.env.MB_ADMIN_EMAIL;
      const password = process.env.MB_ADMIN_PASSWORD;
      if (!email || !password) {
        throw new MbSyncError('ENV_MISSING', 'MB_ADMIN_EMAIL and MB_ADMIN_PASSWORD are needed: the admin to create (fresh instance) or to log in as', { hint: 'set them in .env (see .env.example)' });
      }
      const report = await bootstrap({
        url: options.url.replace(/\/+$/, ''),
        envFile: options.keyFile,
        admin: { email, password },
        ...(options.smtpHost ? { smtp: { host: options.smtpHost, port: Number(options.smtpPort), from: 'metabase@phoenix.local' } } : {}),
        timeoutMs: seconds * 1000,
        onProgress: process.stderr.isTTY ? (m) => process.stderr.write(`\r\u001b[2K${m}`) : undefined,
      });
      if (globalOptions(command).debug) process.stderr.write(`\ndebug: Metabase ${report.metabaseVersion} at ${printableUrl(options.url)}`);
      process.stderr.write(`\n✓ Metabase ${report.setup === 'done-now' ? 'set up (admin created)' : 'already set up'}\n`);
      process.stderr.write(`✓ API key ${report.apiKey === 'created' ? `created and written to ${options.keyFile}` : `in ${options.keyFile} still works: kept`}\n`);
      if (report.email === 'configured-now') process.stderr.write(`✓ e-mail configured through ${options.smtpHost}\n`);
      if (report.email === 'not-configured') process.stderr.write('! Metabase has no e-mail configured: alerts and subscriptions are refused until it has (--smtp-host)\n');
    });
}
