/** One statement of a SQL file: its text (no final `;`) and where it starts in the file. */
export interface SqlStatement {
  text: string;
  offset: number;
}

/**
 * A SQL text cut at its top-level semicolons: not those inside quotes ('…', "…", E'…' with its
 * backslashes, $tag$…$tag$ bodies) or comments (-- and nested block comments), nor inside parentheses or a
 * BEGIN ATOMIC … END body. Empty statements (only blanks and comments) are left out.
 */
export function splitStatements(sql: string): SqlStatement[] {
  const out: SqlStatement[] = [];
  let start = 0;
  let depth = 0;
  let atomic = 0;
  const push = (end: number) => {
    const text = sql.slice(start, end);
    if (withoutLeadingComments(text) !== '') out.push({ text, offset: start });
  };
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    const rest = sql.slice(i, i + 2);
    if (rest === '--') i = endOf(sql, '\n', i + 2) - 1;
    else if (rest === '/*') i = endOfBlockComment(sql, i) - 1;
    else if (c === "'") i = endOfQuoted(sql, i, /[eE]/.test(sql[i - 1] ?? '') && !/[\w$]/.test(sql[i - 2] ?? '')) - 1;
    else if (c === '"') i = endOf(sql, '"', i + 1) - 1;
    else if (c === '$' && !/\w/.test(sql[i - 1] ?? '')) {
      // Tags may hold letters beyond ASCII (`$função$`), as Postgres allows.
      const tag = /^\$(?:[\p{L}_][\p{L}\p{N}_]*)?\$/u.exec(sql.slice(i))?.[0];
      if (tag) i = endOf(sql, tag, i + tag.length) - 1;
    } else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (/[a-z]/i.test(c) && !/[\w$]/.test(sql[i - 1] ?? '')) {
      // BEGIN ATOMIC … END (a SQL-standard function body) holds statements; CASE … END inside it too.
      const word = /^[a-z_]\w*/i.exec(sql.slice(i))![0].toUpperCase();
      if (word === 'BEGIN' && /^BEGIN\s+ATOMIC\b/i.test(sql.slice(i, i + 30))) atomic++;
      else if (atomic > 0 && word === 'CASE') atomic++;
      else if (atomic > 0 && word === 'END') atomic--;
      i += word.length - 1;
    } else if (c === ';' && depth === 0 && atomic === 0) {
      push(i);
      start = i + 1;
    }
  }
  push(sql.length);
  return out;
}

/** The statement from its first word: the blanks and comments before it left out. */
export function withoutLeadingComments(sql: string): string {
  let i = 0;
  for (;;) {
    while (/\s/.test(sql[i] ?? '')) i++;
    if (sql.startsWith('--', i)) i = endOf(sql, '\n', i + 2);
    else if (sql.startsWith('/*', i)) i = endOfBlockComment(sql, i);
    else return sql.slice(i);
  }
}

/** The index just after the next `token` from `from` (the end of the text when there is none). */
function endOf(sql: string, token: string, from: number): number {
  const at = sql.indexOf(token, from);
  return at < 0 ? sql.length : at + token.length;
}

function endOfBlockComment(sql: string, from: number): number {
  let depth = 0;
  for (let i = from; i < sql.length - 1; i++) {
    if (sql[i] === '/' && sql[i + 1] === '*') {
      depth++;
      i++;
    } else if (sql[i] === '*' && sql[i + 1] === '/') {
      depth--;
      i++;
      if (depth === 0) return i + 1;
    }
  }
  return sql.length;
}

/** After a '…' literal: '' is a quote inside; with backslash escapes (E'…'), \' is too. */
function endOfQuoted(sql: string, from: number, backslashes: boolean): number {
  for (let i = from + 1; i < sql.length; i++) {
    if (backslashes && sql[i] === '\\') i++;
    else if (sql[i] === "'") {
      if (sql[i + 1] === "'") i++;
      else return i + 1;
    }
  }
  return sql.length;
}
