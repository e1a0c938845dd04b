import type { SqlRunner } from './runner.ts';
import { readChecks } from './sql-files.ts';

export interface CheckResult {
  check: string;
  rows: number;
  threshold: number;
  severity: 'error' | 'warning';
  status: 'ok' | 'warn' | 'fail';
  description: string;
}

/** The data-quality checks (<sql_dir>/checks): each counts offending rows against its threshold. */
export async function runChecks(db: SqlRunner, sqlDir: string): Promise<CheckResult[]> {
  const checks = await readChecks(sqlDir);
  const results: CheckResult[] = [];
  for (const check of checks) {
    const { rows } = await db.query<{ n: number | string }>(`SELECT count(*)::integer AS n FROM (${check.text.replace(/;\s*$/, '')}\n) AS offending`);
    const count = Number(rows[0]?.n ?? 0);
    const over = count > check.threshold;
    results.push({ check: check.check, rows: count, threshold: check.threshold, severity: check.severity, status: !over ? 'ok' : check.severity === 'warning' ? 'warn' : 'fail', description: check.description });
  }
  return results;
}
