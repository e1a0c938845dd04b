import { describe, expect, it } from 'vitest';
import { openSession, useFakeMetabase } from './harness.ts';
import { env, files } from './fixture-project.ts';

// A 2xx that is not the JSON asked for must never read as "nothing there": that re-creates cards,
// dashboards and alerts (duplicates, double e-mails). Faults come from a proxy in front of Metabase.
const t = useFakeMetabase({ files });
const SSO_PAGE = '<!DOCTYPE html><html><head><title>Sign in – Example SSO</title></head><body><form action="/login">…</form></body></html>';


async function firstApply() {
  await (await openSession(t.fake, t.root, env)).apply();
  return { cards: t.fake.state.cards.size, dashboards: t.fake.state.dashboards.size, alerts: t.fake.state.notifications.size };
}

describe('answers that are not what was asked for', () => {
  it('a proxy page with status 200 on GET /api/card stops the run before any write, and says what came back', async () => {
    const before = await firstApply();
    t.fake.injectFault({ method: 'GET', path: '/api/card' }, { status: 200, body: SSO_PAGE, times: 20 });
    t.fake.resetLog();
    const session = await openSession(t.fake, t.root, env);
    await expect(session.apply()).rejects.toThrow('GET /api/card: Metabase answered 200 with an HTML page instead of JSON — is MB_URL behind an SSO or proxy?');
    expect(t.fake.writes()).toBe(0);
    expect({ cards: t.fake.state.cards.size, dashboards: t.fake.state.dashboards.size, alerts: t.fake.state.notifications.size }).toEqual(before);
  });

  it('a truncated body on GET /api/dashboard/:id is read again; if it stays truncated, the run stops before any write', async () => {
    const before = await firstApply();
    const dashboard = [...t.fake.state.dashboards.values()][0]!;
    t.fake.injectFault({ method: 'GET', path: `/api/dashboard/${dashboard.id}` }, { status: 200, body: '{"id": 3, "name": "Phoenix – Ener', times: 1 });
    const recovered = await (await openSession(t.fake, t.root, env)).apply();
    expect(recovered.result.failed).toEqual([]);
    t.fake.injectFault({ method: 'GET', path: `/api/dashboard/${dashboard.id}` }, { status: 200, body: '{"id": 3, "name": "Phoenix – Ener', times: 50 });
    t.fake.resetLog();
    await expect((await openSession(t.fake, t.root, env)).apply()).rejects.toThrow(`GET /api/dashboard/${dashboard.id}: Metabase answered 200 with truncated JSON instead of JSON`);
    expect(t.fake.writes()).toBe(0);
    expect(t.fake.state.dashboards.size).toBe(before.dashboards);
  });

  it('an SSO login page on every request is named as such, not "groups.find is not a function"', async () => {
    t.fake.injectFault({ path: /.*/ }, { status: 200, body: SSO_PAGE, times: 1000 });
    const failure = openSession(t.fake, t.root, env).then((s) => s.plan());
    await expect(failure).rejects.toThrow(/answered 200 with an HTML page instead of JSON — is MB_URL behind an SSO or proxy\?/);
    await expect(openSession(t.fake, t.root, env).then((s) => s.plan())).rejects.not.toThrow(/is not a function/);
  });

  it('a JSON answer of the wrong shape (another service at MB_URL) stops the run too', async () => {
    await firstApply();
    t.fake.injectFault({ method: 'GET', path: '/api/permissions/group' }, { status: 200, body: { groups: [] }, times: 20 });
    t.fake.resetLog();
    await expect((await openSession(t.fake, t.root, env)).apply()).rejects.toThrow('GET /api/permissions/group: Metabase answered 200 with an unexpected shape');
    expect(t.fake.writes()).toBe(0);
  });
});
