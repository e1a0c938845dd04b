import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';
import { REQUEST_SCHEMAS } from '../../support/fake-metabase/validate.ts';

// The fake refuses, per route, a body the real Metabase refuses: a fake that accepts whatever the
// client sends can never come back unnoticed. Each case names the rule and where it comes from.
let fake: FakeMetabase;
const ids: Record<string, number> = {};
const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${fake.url}${path}`, { method, headers: { 'Content-Type': 'application/json', 'x-api-key': fake.apiKey }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
};

beforeAll(async () => {
  fake = await startFakeMetabase({ catalog: { 'db/phoenix': { password: 'pw', tables: [{ schema: 'analytics', name: 'v', columns: [{ name: 'd', base_type: 'type/Date', database_type: 'date' }, { name: 'n', base_type: 'type/Integer', database_type: 'int' }] }] } }, syncPolls: 0 });
  ids.database = (await call('POST', '/api/database', { name: 'p', engine: 'postgres', details: { host: 'db', dbname: 'phoenix', password: 'pw' } })).json!.id as number;
  await call('GET', `/api/database/${ids.database}/metadata`);
  ids.table = [...fake.state.tables.values()][0]!.id;
  ids.field = [...fake.state.fields.values()].find((f) => f.name === 'n')!.id;
  ids.collection = (await call('POST', '/api/collection', { name: 'c' })).json!.id as number;
  ids.card = (await call('POST', '/api/card', { name: 'q', display: 'table', visualization_settings: {}, dataset_query: { 'lib/type': 'mbql/query', database: ids.database, stages: [{ 'lib/type': 'mbql.stage/mbql', 'source-table': ids.table }] } })).json!.id as number;
  const dashboard = (await call('POST', '/api/dashboard', { name: 'd' })).json!;
  ids.dashboard = dashboard.id as number;
  const placed = (await call('PUT', `/api/dashboard/${ids.dashboard}`, { parameters: [{ id: 'p', type: 'category', name: 'P', slug: 'p' }], tabs: [], dashcards: [{ id: -1, card_id: ids.card, row: 0, col: 0, size_x: 6, size_y: 4 }] })).json!;
  ids.dashcard = (placed.dashcards as Array<{ id: number }>)[0]!.id;
  ids.pulse = (await call('POST', '/api/pulse', { name: 'p', dashboard_id: ids.dashboard, cards: [{ id: ids.card, dashboard_card_id: ids.dashcard, include_csv: false, include_xls: false }], channels: [{ channel_type: 'email', enabled: true, schedule_type: 'daily', schedule_hour: 8, recipients: [{ email: 'a@example.com' }] }] })).json!.id as number;
  ids.notification = (await call('POST', '/api/notification', { payload_type: 'notification/card', payload: { card_id: ids.card, send_condition: 'has_result' }, subscriptions: [{ type: 'notification-subscription/cron', cron_schedule: '0 0 8 * * ? *' }], handlers: [{ channel_type: 'channel/email', recipients: [] }] })).json!.id as number;
  expect(Object.values(ids).every((id) => Number.isInteger(id))).toBe(true);
});
afterAll(async () => fake.close());

const mbql = (stage: Record<string, unknown>) => ({ 'lib/type': 'mbql/query', database: ids.database, stages: [{ 'lib/type': 'mbql.stage/mbql', 'source-table': ids.table, ...stage }] });
const uuid = '2f0c3a6e-9d1b-4c7a-8e5f-0a1b2c3d4e5f';

/** [route, method, path, bad body, the key the 400 names]: at least one per write route. */
const CASES: Array<[string, string, () => string, () => unknown, string]> = [
  ['order by an aggregation by position (what mb-sync sent before: lib/schema/ref.cljc wants the uuid)', 'POST', () => '/api/card', () => ({ name: 'x', display: 'bar', visualization_settings: {}, dataset_query: mbql({ aggregation: [['count', {}]], 'order-by': [['desc', {}, ['aggregation', {}, 0]]] }) }), 'dataset_query'],
  ['order by an aggregation uuid that is not in the stage (lib/schema.cljc)', 'POST', () => '/api/card', () => ({ name: 'x', display: 'bar', visualization_settings: {}, dataset_query: mbql({ aggregation: [['count', { 'lib/uuid': uuid }]], 'order-by': [['desc', {}, ['aggregation', {}, '11111111-2222-4333-8444-555555555555']]] }) }), 'dataset_query'],
  ['a column of a join the stage does not have (lib/schema.cljc, join-ref-error-for-stages)', 'POST', () => '/api/card', () => ({ name: 'x', display: 'table', visualization_settings: {}, dataset_query: mbql({ breakout: [['field', { 'join-alias': 'nobody' }, ids.field]] }) }), 'dataset_query'],
  ['two joins with one alias (lib/schema/join.cljc)', 'POST', () => '/api/card', () => {
    const join = { 'lib/type': 'mbql/join', alias: 'j', stages: [{ 'lib/type': 'mbql.stage/mbql', 'source-table': ids.table }], conditions: [['=', {}, ['field', {}, ids.field], ['field', { 'join-alias': 'j' }, ids.field]]] };
    return { name: 'x', display: 'table', visualization_settings: {}, dataset_query: mbql({ joins: [join, join] }) };
  }, 'dataset_query'],
  ['a join without alias (MBQL 5 schema)', 'POST', () => '/api/card', () => ({ name: 'x', display: 'table', visualization_settings: {}, dataset_query: mbql({ joins: [{ 'lib/type': 'mbql/join', stages: [{ 'lib/type': 'mbql.stage/mbql', 'source-table': ids.table }], conditions: [['=', {}, ['field', {}, ids.field], 1]] }] }) }), 'dataset_query'],
  ['a field ref by name without base-type (lib/schema/ref.cljc)', 'POST', () => '/api/card', () => ({ name: 'x', display: 'table', visualization_settings: {}, dataset_query: mbql({ breakout: [['field', {}, 'n']] }) }), 'dataset_query'],
  ['a legacy field ref inside MBQL 5', 'POST', () => '/api/card', () => ({ name: 'x', display: 'table', visualization_settings: {}, dataset_query: mbql({ breakout: [['field', ids.field, null]] }) }), 'dataset_query'],
  ['a template tag without id (MBQL 5 schema)', 'PUT', () => `/api/card/${ids.card}`, () => ({ dataset_query: { 'lib/type': 'mbql/query', database: ids.database, stages: [{ 'lib/type': 'mbql.stage/native', native: 'SELECT {{n}}', 'template-tags': { n: { name: 'n', type: 'number' } } }] } }), 'dataset_query'],
  ['model columns without display_name and base_type (analyze/query_results.clj)', 'PUT', () => `/api/card/${ids.card}`, () => ({ type: 'model', result_metadata: [{ name: 'n', display_name: 'N' }] }), 'result_metadata'],
  ['a dashboard without a name', 'POST', () => '/api/dashboard', () => ({ description: 'x' }), 'name'],
  ['a mapping to a parameter the dashboard does not have', 'PUT', () => `/api/dashboard/${ids.dashboard}`, () => ({ tabs: [], dashcards: [{ id: ids.dashcard, card_id: ids.card, row: 0, col: 0, size_x: 6, size_y: 4, parameter_mappings: [{ parameter_id: 'nope', card_id: ids.card, target: ['dimension', ['field', ids.field, null]] }] }] }), 'dashcards'],
  ['two dashcards with one id', 'PUT', () => `/api/dashboard/${ids.dashboard}`, () => ({ tabs: [], dashcards: [{ id: -1, card_id: null, row: 0, col: 0, size_x: 6, size_y: 1 }, { id: -1, card_id: null, row: 1, col: 0, size_x: 6, size_y: 1 }] }), 'dashcards'],
  ['a dashcard without size (dashboard update schema)', 'PUT', () => `/api/dashboard/${ids.dashboard}`, () => ({ tabs: [], dashcards: [{ id: -1, card_id: null, row: 0, col: 0 }] }), 'dashcards'],
  ['an unknown parameter type (closed enum)', 'PUT', () => `/api/dashboard/${ids.dashboard}`, () => ({ parameters: [{ id: 'p', type: 'date/whenever' }] }), 'parameters'],
  ['a collection without a name', 'POST', () => '/api/collection', () => ({ description: 'x' }), 'name'],
  ['a collection renamed to blank', 'PUT', () => `/api/collection/${ids.collection}`, () => ({ name: '' }), 'name'],
  ['a collection graph with an unknown access level', 'PUT', () => '/api/collection/graph', () => ({ revision: fake.state.graph.revision, groups: { 1: { [String(ids.collection)]: 'admin' } } }), 'groups'],
  ['a group without a name', 'POST', () => '/api/permissions/group', () => ({}), 'name'],
  ['a membership without a user', 'POST', () => '/api/permissions/membership', () => ({ group_id: 1 }), 'user_id'],
  ['a database without engine', 'POST', () => '/api/database', () => ({ name: 'x', details: {} }), 'engine'],
  ['a database schedule of an unknown type', 'PUT', () => `/api/database/${ids.database}`, () => ({ schedules: { metadata_sync: { schedule_type: 'weekly-ish' } } }), 'schedules'],
  ['a table with an unknown visibility', 'PUT', () => `/api/table/${ids.table}`, () => ({ visibility_type: 'invisible' }), 'visibility_type'],
  ['a field with an unknown has_field_values', 'PUT', () => `/api/field/${ids.field}`, () => ({ has_field_values: 'sometimes' }), 'has_field_values'],
  ['a subscription without cards', 'POST', () => '/api/pulse', () => ({ name: 'p', dashboard_id: ids.dashboard, cards: [], channels: [{ channel_type: 'email', enabled: true, schedule_type: 'daily', schedule_hour: 8 }] }), 'cards'],
  ['a subscription with a notification channel spelling', 'PUT', () => `/api/pulse/${ids.pulse}`, () => ({ channels: [{ channel_type: 'channel/email', enabled: true, schedule_type: 'daily' }] }), 'channels'],
  ['an alert without handlers', 'POST', () => '/api/notification', () => ({ payload_type: 'notification/card', payload: { card_id: ids.card }, subscriptions: [{ type: 'notification-subscription/cron', cron_schedule: '0 0 8 * * ? *' }], handlers: [] }), 'handlers'],
  ['an alert with an unknown send condition', 'PUT', () => `/api/notification/${ids.notification}`, () => ({ payload: { card_id: ids.card, send_condition: 'rows' } }), 'payload'],
  ['a login without password', 'POST', () => '/api/session', () => ({ username: 'a@example.com' }), 'password'],
  ['setup without a token', 'POST', () => '/api/setup', () => ({ user: { email: 'a@example.com', password: 'x' }, prefs: { site_name: 's' } }), 'token'],
  ['an API key without a group', 'POST', () => '/api/api-key', () => ({ name: 'k' }), 'group_id'],
  ['SMTP settings without a host', 'PUT', () => '/api/email', () => ({ 'email-smtp-port': 25 }), 'email-smtp-host'],
];

describe('the fake Metabase refuses what Metabase refuses', () => {
  it.each(CASES)('%s', async (_rule, method, path, body, key) => {
    const reply = await call(method, path(), body());
    expect(reply.status).toBe(400);
    expect(reply.json?.errors ?? reply.json?.message).toBeDefined();
    const named = { ...(reply.json?.errors as object | undefined), ...(reply.json?.['specific-errors'] as object | undefined) };
    expect(Object.keys(named).length > 0 ? Object.keys(named) : [String(reply.json?.message)]).toEqual(expect.arrayContaining([expect.stringContaining(key)]));
  });

  it('covers every write route it has, and refuses a write to a route with no schema', async () => {
    const covered = new Set(CASES.map(([, method, path]) => REQUEST_SCHEMAS.find(([m, p]) => m === method && p.test(path()))?.[1].source));
    const writable = REQUEST_SCHEMAS.filter(([method, , schema]) => method !== 'DELETE' && schema !== 'no body').map(([, p]) => p.source);
    expect(writable.filter((p) => !covered.has(p))).toEqual([]);
    expect((await call('POST', '/api/not-a-route', {})).status).toBe(404);
  });

  it('accepts the known-good bodies these cases start from (so each refusal is about its one rule)', async () => {
    const good = await call('POST', '/api/card', { name: 'x', display: 'bar', visualization_settings: {}, dataset_query: mbql({ aggregation: [['count', { 'lib/uuid': uuid }]], breakout: [['field', {}, ids.field]], 'order-by': [['desc', {}, ['aggregation', {}, uuid]]] }) });
    expect(good.status).toBe(200);
  });
});
