import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeMetabase, type FakeMetabase } from '../../support/fake-metabase/index.ts';

// What the fake must do because the real API does it (metabase-api.md): if one of these breaks,
// end-to-end tests would pass against behaviour no real server has.
let fake: FakeMetabase;
const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${fake.url}${path}`, { method, headers: { 'Content-Type': 'application/json', 'x-api-key': fake.apiKey, ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are probed freely here
  return { status: response.status, type: response.headers.get('content-type') ?? '', text, json: json as Record<string, any> };
};

beforeEach(async () => {
  fake = await startFakeMetabase({ catalog: { 'db/phoenix': { password: 'pw', tables: [{ schema: 'analytics', name: 'v', columns: [{ name: 'd', base_type: 'type/Date', database_type: 'date' }] }] } }, syncPolls: 1 });
});
afterEach(async () => fake.close());

describe('the fake Metabase', () => {
  it('answers errors the way Metabase does', async () => {
    expect(await call('GET', '/api/card/999')).toMatchObject({ status: 404, text: 'Not found.', type: expect.stringContaining('text/plain') });
    expect(await call('GET', '/api/nope')).toMatchObject({ status: 404, text: 'API endpoint does not exist.' });
    expect(await call('GET', '/api/card', undefined, { 'x-api-key': 'wrong' })).toMatchObject({ status: 401, text: 'Unauthenticated' });
    const invalid = await call('POST', '/api/dashboard', { name: ' ' });
    expect(invalid.status).toBe(400);
    expect(invalid.json.errors).toEqual({ name: 'value must be a non-blank string.' });
    expect(invalid.json['specific-errors']).toBeDefined();
    expect((await call('POST', '/api/dashboard', { name: 'x', parameters: [{ id: 'p', type: 'date/whenever' }] })).status).toBe(400);
  });

  it('tests the connection, redacts the password, and keeps it when the placeholder is sent back', async () => {
    expect((await call('POST', '/api/database', { name: 'x', engine: 'postgres', details: { host: 'db', dbname: 'phoenix', password: 'wrong' } })).status).toBe(400);
    const db = await call('POST', '/api/database', { name: 'x', engine: 'postgres', details: { host: 'db', dbname: 'phoenix', password: 'pw', 'schema-filters-type': 'inclusion', 'schema-filters-patterns': 'analytics' } });
    expect(db.json.details.password).toBe('**MetabasePass**');
    expect((await call('PUT', `/api/database/${db.json.id}`, { details: { password: '**MetabasePass**', ssl: false } })).status).toBe(200);
    expect(fake.state.databases.get(db.json.id)!.details).toMatchObject({ password: 'pw', ssl: false, host: 'db' });
    // The sync makes tables appear only after a while.
    expect((await call('GET', `/api/database/${db.json.id}/metadata`)).json.tables).toHaveLength(1);
  });

  it('replaces dashcards and tabs as whole arrays: a PUT without tabs deletes them and their cards', async () => {
    const d = (await call('POST', '/api/dashboard', { name: 'd' })).json;
    const put = await call('PUT', `/api/dashboard/${d.id}`, { tabs: [{ id: -1, name: 'A' }, { id: -2, name: 'B' }], dashcards: [
      { id: -1, card_id: null, dashboard_tab_id: -1, row: 0, col: 0, size_x: 4, size_y: 1, visualization_settings: { text: 'a' } },
      { id: -2, card_id: null, dashboard_tab_id: -2, row: 0, col: 0, size_x: 4, size_y: 1, visualization_settings: { text: 'b' } }] });
    expect(put.json.tabs).toHaveLength(2);
    expect(put.json.dashcards).toHaveLength(2);
    expect((await call('PUT', `/api/dashboard/${d.id}`, { tabs: put.json.tabs, dashcards: [{ id: -9, card_id: null, row: 0, col: 0, size_x: 4, size_y: 1 }] })).status).toBe(400);
    const kept = put.json.dashcards[0];
    const again = await call('PUT', `/api/dashboard/${d.id}`, { tabs: put.json.tabs, dashcards: [kept] });
    expect(again.json.dashcards.map((c: { id: number }) => c.id)).toEqual([kept.id]);
    const withoutTabs = await call('PUT', `/api/dashboard/${d.id}`, { dashcards: [{ ...kept, dashboard_tab_id: null }] });
    expect(withoutTabs.json.tabs).toEqual([]);
    expect(withoutTabs.json.dashcards).toHaveLength(1);
    expect(withoutTabs.json.dashcards[0].id).not.toBe(kept.id);
  });

  it('stores queries as MBQL 5 with lib/uuid and field types, and returns 0.63 template tags as a list', async () => {
    const db = (await call('POST', '/api/database', { name: 'x', engine: 'postgres', details: { host: 'db', dbname: 'phoenix', password: 'pw' } })).json;
    await call('GET', `/api/database/${db.id}/metadata`);
    const field = [...fake.state.fields.values()][0]!;
    const card = await call('POST', '/api/card', { name: 'c', display: 'table', visualization_settings: {}, dataset_query: { type: 'native', database: db.id, native: { query: 'SELECT 1 WHERE {{d}}', 'template-tags': { d: { name: 'd', 'display-name': 'D', type: 'dimension', dimension: ['field', field.id, null], 'widget-type': 'date/all-options' } } } } });
    const stage = card.json.dataset_query.stages[0];
    expect(stage['lib/type']).toBe('mbql.stage/native');
    expect(stage['template-tags'].d.dimension).toEqual(['field', expect.objectContaining({ 'lib/uuid': expect.any(String), 'base-type': 'type/Date' }), field.id]);
    expect(card.json.parameters[0]).toMatchObject({ slug: 'd', type: 'date/all-options', target: ['dimension', ['template-tag', 'd']] });
    expect((await call('POST', '/api/card', { name: 'c', display: 'table', visualization_settings: {}, dataset_query: {} })).status).toBe(400);
    // A client's entity_id is accepted and ignored: the server mints its own (queries/models/card.clj).
    const eid = 'abcdefghijklmnopqrstu';
    const first = await call('POST', '/api/card', { name: 'e', display: 'table', visualization_settings: {}, entity_id: eid, dataset_query: card.json.dataset_query });
    const second = await call('POST', '/api/card', { name: 'e', display: 'table', visualization_settings: {}, entity_id: eid, dataset_query: card.json.dataset_query });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.json.entity_id).toMatch(/^[A-Za-z0-9_-]{21}$/);
    expect([first.json.entity_id, second.json.entity_id]).not.toContain(eid);
    expect(first.json.entity_id).not.toBe(second.json.entity_id);
    await fake.close();
    fake = await startFakeMetabase({ version: 'v0.63.2' });
    fake.state.databases.set(1, { id: 1, name: 'x', details: {} });
    const listed = await call('POST', '/api/card', { name: 'c', display: 'table', visualization_settings: {}, dataset_query: { type: 'native', database: 1, native: { query: 'SELECT {{n}}', 'template-tags': { n: { name: 'n', type: 'number' } } } } });
    expect(Array.isArray(listed.json.dataset_query.stages[0]['template-tags'])).toBe(true);
    expect((await call('GET', '/api/card/999')).json).toEqual({ message: 'Not found.' });
  });

  it('gives omitted pulse keys their defaults, 500s on a channel without enabled, and 409s a stale graph', async () => {
    const dashboard = (await call('POST', '/api/dashboard', { name: 'd' })).json;
    const base = { name: 'p', dashboard_id: dashboard.id, cards: [{ id: 1, include_csv: false, include_xls: false }], channels: [{ channel_type: 'email', schedule_type: 'daily', schedule_hour: 8, recipients: [] }] };
    expect((await call('POST', '/api/pulse', base)).status).toBe(500);
    const pulse = (await call('POST', '/api/pulse', { ...base, channels: [{ ...base.channels[0], enabled: true }] })).json;
    await call('PUT', `/api/pulse/${pulse.id}`, { archived: true });
    expect((await call('PUT', `/api/pulse/${pulse.id}`, { name: 'renamed' })).json.archived).toBe(false);
    const graph = (await call('GET', '/api/collection/graph')).json;
    const collection = (await call('POST', '/api/collection', { name: 'c' })).json;
    expect((await call('PUT', '/api/collection/graph', { revision: graph.revision, groups: { 1: { [collection.id]: 'read' } } })).status).toBe(200);
    expect((await call('PUT', '/api/collection/graph', { revision: graph.revision, groups: { 1: { [collection.id]: 'none' } } })).status).toBe(409);
  });

  it('keeps archived dashboards and cards readable by id, and lists them only when asked (metabase-api.md §4, §5, §6)', async () => {
    const collection = (await call('POST', '/api/collection', { name: 'c' })).json;
    const dashboard = (await call('POST', '/api/dashboard', { name: 'd', collection_id: collection.id })).json;
    const trash = (await call('GET', '/api/collection/trash')).json;
    expect(trash).toMatchObject({ id: expect.any(Number), type: 'trash', archived: false });
    expect((await call('GET', '/api/collection')).json.map((c: { id: unknown }) => c.id)).not.toContain(trash.id);
    expect((await call('GET', '/api/collection?archived=true')).json.map((c: { id: unknown }) => c.id)).toContain(trash.id);
    const items = (id: number, archived: boolean) => call('GET', `/api/collection/${id}/items?models=dashboard${archived ? '&archived=true' : ''}`);
    const ids = async (id: number, archived: boolean) => (await items(id, archived)).json.data.map((i: { id: number }) => i.id);

    // Archived on its own (updates-with-archived-directly): in the Trash, no longer under its collection;
    // it reads as being in the Trash, its hydrated collection still the one it was in.
    await call('PUT', `/api/dashboard/${dashboard.id}`, { archived: true, collection_id: null });
    expect((await call('GET', `/api/dashboard/${dashboard.id}`)).json).toMatchObject({ id: dashboard.id, archived: true, archived_directly: true, collection_id: trash.id, collection: { id: collection.id } });
    expect(fake.state.dashboards.get(dashboard.id)!.collection_id).toBe(collection.id);
    expect(await ids(collection.id, false)).toEqual([]);
    expect(await ids(collection.id, true)).toEqual([]);
    expect((await items(trash.id, false)).json.data).toEqual([expect.objectContaining({ id: dashboard.id, model: 'dashboard', collection_id: trash.id })]);
    await call('PUT', `/api/dashboard/${dashboard.id}`, { archived: false });
    expect((await call('GET', `/api/dashboard/${dashboard.id}`)).json).toMatchObject({ archived: false, archived_directly: false, collection_id: collection.id });
    expect(await ids(collection.id, false)).toEqual([dashboard.id]);
    expect(await ids(trash.id, false)).toEqual([]);

    // Archived with its collection: still listed under it (archived, asked or not: the collection is),
    // never in the Trash's items, and back with the collection.
    await call('PUT', `/api/collection/${collection.id}`, { archived: true });
    expect((await call('GET', `/api/dashboard/${dashboard.id}`)).json).toMatchObject({ archived: true, archived_directly: false, collection_id: collection.id });
    expect(await ids(collection.id, true)).toEqual([dashboard.id]);
    expect(await ids(collection.id, false)).toEqual([dashboard.id]);
    expect(await ids(trash.id, false)).toEqual([]);
    await call('PUT', `/api/collection/${collection.id}`, { archived: false });
    expect(await ids(collection.id, false)).toEqual([dashboard.id]);
    expect(fake.state.dashboards.get(dashboard.id)).toMatchObject({ archived: false, archived_directly: false });
  });

  it('saves a card whose columns take too long without them, and writes them later unless its query changed (metadataLag)', async () => {
    const db = (await call('POST', '/api/database', { name: 'x', engine: 'postgres', details: { host: 'db', dbname: 'phoenix', password: 'pw' } })).json;
    await call('GET', `/api/database/${db.id}/metadata`);
    const table = [...fake.state.tables.values()][0]!;
    const native = (sql: string) => ({ type: 'native', database: db.id, native: { query: sql } });
    const model = (query: unknown) => call('POST', '/api/card', { name: 'm', type: 'model', display: 'table', visualization_settings: {}, dataset_query: query });
    const columns = async (id: number) => (await call('GET', `/api/card/${id}`)).json.result_metadata;
    // In time (the default): a native SELECT * is described as its table's columns.
    expect((await model(native('SELECT * FROM analytics.v'))).json.result_metadata).toEqual([expect.objectContaining({ name: 'd', display_name: 'd', base_type: 'type/Date' })]);
    fake.setMetadataLag(2);
    // Native: saved without columns (the insert hook infers only MBQL); they land two requests later.
    const late = (await model(native('SELECT * FROM analytics.v'))).json;
    expect(late.result_metadata).toBeNull();
    expect(await columns(late.id)).toBeNull();
    expect(await columns(late.id)).toEqual([expect.objectContaining({ name: 'd' })]);
    // Query-builder: saved with the columns the hook infers, then overwritten by the late ones, column
    // edits sent meanwhile included (save-metadata-async! writes over whatever the card has).
    const mbql = (await model({ type: 'query', database: db.id, query: { 'source-table': table.id } })).json;
    expect(mbql.result_metadata).toEqual([expect.objectContaining({ name: 'd', display_name: 'D' })]);
    const edited = (await call('PUT', `/api/card/${mbql.id}`, { result_metadata: [{ ...mbql.result_metadata[0], display_name: 'Day' }] })).json;
    expect(edited.result_metadata[0].display_name).toBe('Day');
    expect((await columns(mbql.id))[0].display_name).toBe('D');
    // Edits sent with the query they were made for are kept at once; a query changed meanwhile
    // drops the late columns of the old one.
    expect((await call('PUT', `/api/card/${mbql.id}`, { dataset_query: mbql.dataset_query, result_metadata: [{ ...mbql.result_metadata[0], display_name: 'Day' }] })).json.result_metadata[0].display_name).toBe('Day');
    const changed = (await model(native('SELECT * FROM analytics.v'))).json;
    expect((await call('PUT', `/api/card/${changed.id}`, { dataset_query: native('SELECT 1') })).json.result_metadata).toBeNull();
    await columns(changed.id);
    expect(await columns(changed.id)).toBeNull();
    expect(fake.state.pendingMetadata).toEqual([]);
  });

  it('moves a card archived on its own to the Trash: by id it reads as there, the list of archived cards keeps its collection', async () => {
    const db = (await call('POST', '/api/database', { name: 'x', engine: 'postgres', details: { host: 'db', dbname: 'phoenix', password: 'pw' } })).json;
    const collection = (await call('POST', '/api/collection', { name: 'c' })).json;
    const trash = (await call('GET', '/api/collection/trash')).json;
    const card = (await call('POST', '/api/card', { name: 'c', display: 'table', visualization_settings: {}, collection_id: collection.id, dataset_query: { type: 'native', database: db.id, native: { query: 'SELECT 1' } } })).json;
    await call('PUT', `/api/card/${card.id}`, { archived: true });
    expect((await call('GET', `/api/card/${card.id}`)).json).toMatchObject({ archived: true, archived_directly: true, collection_id: trash.id });
    expect((await call('GET', '/api/card?f=archived')).json).toEqual([expect.objectContaining({ id: card.id, collection_id: collection.id })]);
    expect((await call('GET', `/api/collection/${trash.id}/items?models=card`)).json.data.map((i: { id: number }) => i.id)).toEqual([card.id]);
    expect((await call('GET', `/api/collection/${collection.id}/items?models=card&archived=true`)).json.data).toEqual([]);
    await call('PUT', `/api/card/${card.id}`, { archived: false });
    expect((await call('GET', `/api/card/${card.id}`)).json).toMatchObject({ archived: false, archived_directly: false, collection_id: collection.id });
  });
});
