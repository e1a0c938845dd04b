import { randomUUID } from 'node:crypto';
import { HttpError, invalid, nonBlank, ok, type Request } from '../http.ts';
import { nextId, type FakeState } from '../state.ts';
import type { Route, ServerContext } from '../router.ts';

export function sessionRoutes(state: FakeState, ctx: ServerContext): Route[] {
  const publicUser = (u: Record<string, unknown>) => {
    const { password: _p, ...rest } = u;
    return rest;
  };
  return [
    ['GET', /^\/api\/health$/, () => ok({ status: 'ok' }), { public: true }],
    ['GET', /^\/api\/session\/properties$/, () => ok({
      version: { tag: ctx.version, date: '2026-01-01', hash: 'abc1234', branch: 'release' },
      'setup-token': ctx.setupDone ? null : ctx.setupToken,
      'has-user-setup': ctx.setupDone,
      'email-configured?': state.settings['email-configured?'],
      'site-url': ctx.url,
      'token-features': {},
    }), { public: true }],
    ['POST', /^\/api\/session$/, (req: Request) => {
      const errors: Record<string, string> = {};
      nonBlank(req.body, 'username', errors);
      nonBlank(req.body, 'password', errors);
      if (Object.keys(errors).length) throw invalid(errors);
      const user = state.users.find((u) => u.email === req.body.username);
      if (!user || user.password !== req.body.password) {
        throw new HttpError({ status: 401, json: { errors: { password: 'did not match stored password' } } });
      }
      const id = randomUUID();
      ctx.sessions.set(id, user.id);
      return ok({ id });
    }, { public: true }],
    ['DELETE', /^\/api\/session$/, () => ({ status: 204 })],
    ['GET', /^\/api\/user\/current$/, (req: Request) => ok(publicUser(state.users.find((u) => u.id === req.userId)!))],
    ['POST', /^\/api\/setup$/, (req: Request) => {
      if (ctx.setupDone) throw new HttpError({ status: 403, text: 'The /api/setup route can only be used to create the first user, however a user currently exists.' });
      const user = (req.body.user ?? {}) as Record<string, unknown>;
      const prefs = (req.body.prefs ?? {}) as Record<string, unknown>;
      const errors: Record<string, string> = {};
      if (req.body.token !== ctx.setupToken) errors.token = 'Token does not match the setup token.';
      nonBlank(user, 'email', errors);
      nonBlank(user, 'password', errors);
      nonBlank(prefs, 'site_name', errors);
      if (Object.keys(errors).length) throw invalid(errors);
      const admin = state.users[0]!;
      Object.assign(admin, { email: user.email, password: user.password, first_name: user.first_name ?? null, last_name: user.last_name ?? null });
      ctx.setupDone = true;
      const id = randomUUID();
      ctx.sessions.set(id, admin.id);
      return ok({ id });
    }, { public: true }],
    ['POST', /^\/api\/api-key$/, (req: Request) => {
      const errors: Record<string, string> = {};
      nonBlank(req.body, 'name', errors);
      if (typeof req.body.group_id !== 'number') errors.group_id = 'value must be an integer greater than zero.';
      if (Object.keys(errors).length) throw invalid(errors);
      const group = state.groups.find((g) => g.id === req.body.group_id);
      if (!group) throw new HttpError({ status: 404, text: 'Not found.' });
      const key = `mb_${randomUUID().replace(/-/g, '')}`;
      const user = { id: nextId(), email: `api-key-user-${key.slice(-6)}@api-key.invalid`, first_name: String(req.body.name), is_superuser: group.id === 2 };
      state.users.push(user);
      state.memberships.push({ id: nextId(), user_id: user.id, group_id: group.id as number });
      const row = { id: nextId(), name: req.body.name, user_id: user.id, group: { id: group.id, name: group.name }, masked_key: `mb_****${key.slice(-4)}` };
      state.apiKeys.push({ ...row, key });
      return ok({ ...row, unmasked_key: key });
    }],
    ['GET', /^\/api\/api-key$/, () => ok(state.apiKeys.map(({ key: _k, ...rest }) => rest))],
    // A new secret for an existing key: the only way to learn a key's secret after its create.
    ['PUT', /^\/api\/api-key\/(\d+)\/regenerate$/, (req: Request) => {
      const row = state.apiKeys.find((k) => k.id === Number(req.params[0]));
      if (!row) throw new HttpError({ status: 404, text: 'Not found.' });
      row.key = `mb_${randomUUID().replace(/-/g, '')}`;
      row.masked_key = `mb_****${String(row.key).slice(-4)}`;
      const { key, ...rest } = row;
      return ok({ ...rest, unmasked_key: key });
    }],
    ['GET', /^\/api\/setting\/email-configured%3F$/, () => ok(state.settings['email-configured?'])],
    ['PUT', /^\/api\/email$/, (req: Request) => {
      const errors: Record<string, string> = {};
      nonBlank(req.body, 'email-smtp-host', errors);
      if (!Number.isInteger(req.body['email-smtp-port'])) errors['email-smtp-port'] = 'value must be an integer.';
      if (Object.keys(errors).length) throw invalid(errors);
      state.settings['email-configured?'] = true;
      return ok({ 'email-smtp-host': req.body['email-smtp-host'], 'email-smtp-port': req.body['email-smtp-port'] });
    }],
  ];
}
