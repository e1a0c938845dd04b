import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { openSession, writeProject } from './harness.ts';
import { catalog, env, files } from './fixture-project.ts';

// A 2xx that is not the JSON asked for must never read as "nothing there": that re-creates cards,
// dashboards and alerts (duplicates, double e-mails). Faults come from a proxy in front of Metabase.
let fake: FakeMetabase;
let project: { root: string; cleanup: () => Promise<void> };
const SSO_PAGE = '<!DOCTYPE html><html><head><title>Sign in – Example SSO</title></head><body><form action="/login">…</form></body></html>';

beforeEach(async () => {
  fake = await startFakeMetabase({ catalog, syncPolls: 1 });
  project = await writeProject(files);
});
afterEach(async () => {
  await fake.close();
  await project.cleanup();
});

async function firstApply() {
  await (await openSession(fake, project.root, env)).apply();
  return { cards: fake.state.cards.size, dashboards: fake.state.dashboards.size, alerts: fake.state.notifications.size };
}

describe('answers that are not what was asked for', () => {
  it('a proxy page with status 200 on GET /api/card stops the run before any write, and says what came back', async () => {
    const before = await firstApply();
    fake.injectFault({ method: 'GET', path: '/api/card' }, { status: 200, body: SSO_PAGE, times: 20 });
    fake.resetLog();
    const session = await openSession(fake, project.root, env);
    await expect(session.apply()).rejects.toThrow('GET /api/card: Metabase answered 200 with an HTML page instead of JSON — is MB_URL behind an SSO or proxy?');
    expect(fake.writes()).toBe(0);
    expect({ cards: fake.state.cards.size, dashboards: fake.state.dashboards.size, alerts: fake.state.notifications.size }).toEqual(before);
  });

  it('a truncated body on GET /api/dashboard/:id is read again; if it stays truncated, the run stops before any write', async () => {
    const before = await firstApply();
    const dashboard = [...fake.state.dashboards.values()][0]!;
    fake.injectFault({ method: 'GET', path: `/api/dashboard/${dashboard.id}` }, { status: 200, body: '{"id": 3, "name": "Phoenix – Ener', times: 1 });
    const recovered = await (await openSession(fake, project.root, env)).apply();
    expect(recovered.result.failed).toEqual([]);
    fake.injectFault({ method: 'GET', path: `/api/dashboard/${dashboard.id}` }, { status: 200, body: '{"id": 3, "name": "Phoenix – Ener', times: 50 });
    fake.resetLog();
    await expect((await openSession(fake, project.root, env)).apply()).rejects.toThrow(`GET /api/dashboard/${dashboard.id}: Metabase answered 200 with truncated JSON instead of JSON`);
    expect(fake.writes()).toBe(0);
    expect(fake.state.dashboards.size).toBe(before.dashboards);
  });

  it('an SSO login page on every request is named as such, not "groups.find is not a function"', async () => {
    fake.injectFault({ path: /.*/ }, { status: 200, body: SSO_PAGE, times: 1000 });
    const failure = openSession(fake, project.root, env).then((s) => s.plan());
    await expect(failure).rejects.toThrow(/answered 200 with an HTML page instead of JSON — is MB_URL behind an SSO or proxy\?/);
    await expect(openSession(fake, project.root, env).then((s) => s.plan())).rejects.not.toThrow(/is not a function/);
  });

  it('a JSON answer of the wrong shape (another service at MB_URL) stops the run too', async () => {
    await firstApply();
    fake.injectFault({ method: 'GET', path: '/api/permissions/group' }, { status: 200, body: { groups: [] }, times: 20 });
    fake.resetLog();
    await expect((await openSession(fake, project.root, env)).apply()).rejects.toThrow('GET /api/permissions/group: Metabase answered 200 with an unexpected shape');
    expect(fake.writes()).toBe(0);
  });
});
