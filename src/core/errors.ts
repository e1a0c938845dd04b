/**
 * Typed errors with stable codes. They are thrown deep and printed once, by src/cli/main.ts,
 * which alone maps them to exit codes (see README "Exit codes").
 */
export const ExitCode = {
  ok: 0,
  error: 1,
  changesPresent: 2,
  unsupportedVersion: 3,
  /** Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'REFERENCE_UNKNOWN'
  | 'ENV_MISSING'
  | 'METABASE_HTTP'
  | 'METABASE_AUTH'
  | 'METABASE_UNREACHABLE'
  | 'METABASE_VERSION'
  | 'SYNC_TIMEOUT'
  | 'PLAN_STALE'
  | 'APPLY_FAILED'
  | 'CONFIRMATION_REQUIRED'
  | 'INTERRUPTED'
  | 'POSTGRES'
  | 'CHECK_FAILED';

export class MbSyncError extends Error {
  readonly code: ErrorCode;
  /** One line telling a person what to do next. */
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MbSyncError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.error;
  }
}

/** One problem in a project file; `line` is 1-based when known. */
export interface ConfigIssue {
  file: string;
  path: string;
  message: string;
  line?: number;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  return `${where}: ${issue.path || '(root)'}: ${issue.message}`;
}

/** Every problem found in the project files, reported at once. */
export class ConfigError extends MbSyncError {
  readonly issues: ConfigIssue[];

  /** The default hint is for commands that talk to Metabase; `validate` (offline) gives its own. */
  constructor(issues: ConfigIssue[], options: { hint?: string } = {}) {
    const lines = issues.map((issue) => `  ${formatIssue(issue)}`).join('\n');
    super('CONFIG_INVALID', `${issues.length} problem${issues.length === 1 ? '' : 's'} in the project files:\n${lines}`, {
      hint: options.hint ?? 'Fix the files above; nothing was sent to Metabase.',
    });
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** A `${VAR}` the project files use, unset and without default: a problem of the environment, not of the files. */
export interface MissingVariable {
  variable: string;
  /** Every place that uses it: `metabase.config.yaml:37 database.password`. */
  usedAt: string[];
}

/** Every missing variable at once, with where the files use it. */
export class EnvMissingError extends MbSyncError {
  readonly variables: MissingVariable[];

  constructor(variables: MissingVariable[]) {
    const lines = variables.map((v) => `  ${v.variable} (used at ${v.usedAt.join(', ')})`).join('\n');
    super('ENV_MISSING', `${variables.length === 1 ? 'an environment variable is' : `${variables.length} environment variables are`} not set:\n${lines}`, {
      hint: 'export them (or put them in the git-ignored .env.local), or write ${VAR:-default} in the file for a default; nothing was sent to Metabase.',
    });
    this.name = 'EnvMissingError';
    this.variables = variables;
  }
}
