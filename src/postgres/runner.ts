/** What the SQL side needs from a connection: real PostgreSQL (pg) or embedded PGlite. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  /** Several statements, no parameters (a whole .sql file). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export interface PgError {
  code?: string;
  message: string;
  position?: string;
  detail?: string;
  where?: string;
}

/** 1-based line of a character position in a SQL text (pg reports positions, people read lines). */
export function lineAt(text: string, position: number | undefined): number | undefined {
  if (position === undefined || !Number.isFinite(position)) return undefined;
  return text.slice(0, Math.max(0, position - 1)).split('\n').length;
}
