import type { IncomingMessage, ServerResponse } from 'node:http';

/** A handler's answer. `text` bodies go out as text/plain, the way Metabase sends bare messages. */
export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  /** For text bodies: text/plain unless said (a proxy's HTML page, a truncated JSON). */
  contentType?: string;
}

export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

export const ok = (json: unknown, status = 200): Reply => ({ status, json });

/** 400 as the request decoder sends it, for errors keyed by dotted path (`dashcards.0.size_x`). */
export function invalid(errors: Record<string, string>): HttpError {
  return refusal(Object.entries(errors).map(([key, message]) => ({ path: key.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s)), message })));
}

export interface Issue {
  path: Array<string | number>;
  message: string;
}

const TOP_LEVEL: Record<string, string> = {
  dataset_query: 'value must be a valid query.',
  name: 'value must be a non-blank string.',
};

/**
 * The 400 body of Metabase's request decoder: `errors` has one line per top-level key and
 * `specific-errors` the structure of the body with the messages at the leaves (malli's humanized
 * errors: maps for keys, arrays with nulls for indexes).
 */
export function refusal(issues: Issue[]): HttpError {
  const errors: Record<string, string> = {};
  const specific: Record<string, unknown> = {};
  for (const issue of issues) {
    const top = String(issue.path[0] ?? 'body');
    errors[top] ??= TOP_LEVEL[top] ?? (issue.path.length === 1 ? issue.message : 'value is not valid.');
    place(specific, issue.path.length === 0 ? ['body'] : issue.path, issue.message);
  }
  return new HttpError({ status: 400, json: { errors, 'specific-errors': specific } });
}

function place(root: Record<string, unknown>, path: Array<string | number>, message: string): void {
  let node: Record<string | number, unknown> = root;
  path.forEach((key, i) => {
    if (i === path.length - 1) {
      const existing = node[key];
      node[key] = Array.isArray(existing) && existing.every((e) => typeof e === 'string') ? [...new Set([...existing, message])] : [message];
      return;
    }
    const nextIsIndex = typeof path[i + 1] === 'number';
    let child = node[key];
    const leaf = Array.isArray(child) && child.length > 0 && child.every((e) => typeof e === 'string');
    if (typeof child !== 'object' || child === null || leaf) {
      child = nextIsIndex ? [] : {};
      node[key] = child;
    }
    if (Array.isArray(child)) while (child.length <= (path[i + 1] as number)) child.push(null);
    node = child as Record<string | number, unknown>;
  });
}

export function badRequest(message: string): HttpError {
  return new HttpError({ status: 400, json: { message } });
}

export interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
  params: string[];
  userId: number;
}

export async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError({ status: 400, text: 'Malformed JSON in request body.' });
  }
}

export function send(res: ServerResponse, reply: Reply): void {
  if (reply.text !== undefined) {
    res.writeHead(reply.status, { 'Content-Type': reply.contentType ?? 'text/plain; charset=utf-8' });
    res.end(reply.text);
    return;
  }
  res.writeHead(reply.status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(reply.json === undefined ? '' : JSON.stringify(reply.json));
}

/** Field validators in the spirit of Metabase's malli schemas. */
export function nonBlank(body: Record<string, unknown>, key: string, errors: Record<string, string>): void {
  const v = body[key];
  if (typeof v !== 'string' || v.trim() === '') errors[key] = 'value must be a non-blank string.';
}

export function oneOf(body: Record<string, unknown>, key: string, values: readonly unknown[], errors: Record<string, string>, optional = true): void {
  if (optional && (body[key] === undefined)) return;
  if (!values.includes(body[key])) errors[key] = `value must be one of: ${values.map((v) => JSON.stringify(v)).join(', ')}.`;
}

/** Keeps only the keys a route declares: unknown keys are dropped silently, as Metabase does. */
export function pick(body: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => keys.includes(k)));
}
