import type { FakeCatalog } from '../../support/fake-metabase/index.ts';

export const DB_PASSWORD = 's3cr3t-\'quoted"-$$-pass';
export const env = { PHOENIX_RO_PASSWORD: DB_PASSWORD };

export const catalog: FakeCatalog = {
  'pg.internal/phoenix': {
    password: DB_PASSWORD,
    tables: [
      { schema: 'analytics', name: 'vw_daily_energy_ledger', columns: [
        { name: 'event_date', base_type: 'type/Date', database_type: 'date' },
        { name: 'module', base_type: 'type/Text', database_type: 'text' },
        { name: 'total_spent', base_type: 'type/BigInteger', database_type: 'bigint' },
        { name: 'total_credits', base_type: 'type/BigInteger', database_type: 'bigint' },
      ] },
      { schema: 'analytics', name: 'vw_pack_funnel', columns: [
        { name: 'event_date', base_type: 'type/Date', database_type: 'date' },
        { name: 'pack_id', base_type: 'type/Text', database_type: 'text' },
        { name: 'views', base_type: 'type/BigInteger', database_type: 'bigint' },
        { name: 'purchases', base_type: 'type/BigInteger', database_type: 'bigint' },
      ] },
      { schema: 'public', name: 'User', columns: [{ name: 'email', base_type: 'type/Text', database_type: 'text' }] },
    ],
  },
};

export const files: Record<string, string> = {
  'metabase.config.yaml': `
project: phoenix
environments:
  test: { url: http://127.0.0.1:1 }
database:
  key: phoenix
  name: Phoenix (analytics)
  host: pg.internal
  dbname: phoenix
  user: phoenix_analytics_ro
  password: \${PHOENIX_RO_PASSWORD}
  schemas: [analytics]
  sync: { timeout_seconds: 5 }
  tables:
    analytics.vw_daily_energy_ledger:
      display_name: Ledger énergie
      columns:
        module: { display_name: Module, semantic_type: type/Category, values: list }
collections:
  - key: phoenix
    name: Phoenix
    children:
      - { key: alerting, name: Alertes }
groups:
  - { key: product, name: Product }
permissions:
  - { group: product, collection: phoenix, access: read }
recipients:
  team: [alice@example.com, bob@example.com]
cards:
  - key: zero-surge
    name: Surge at zero
    collection: alerting
    sql: SELECT 1 AS surge WHERE {{threshold}} > 0
    params: { threshold: { type: number, default: 2 } }
alerts:
  - key: zero-surge
    card: zero-surge
    schedule: { every: day, hour: 7 }
    to: [group:product, list:team]
`,
  'dashboards/energie.yaml': `
key: energie
name: Phoenix – Energie Live
collection: phoenix
filters:
  - { key: period, name: Période, type: date/all-options, default: past30days }
  - { key: module, name: Module, type: string/= }
cards:
  - heading: Énergie
    layout: { row: 0, col: 0, width: 24, height: 1 }
  - key: spend-by-module
    name: Dépenses par module
    display: bar
    query:
      source: analytics.vw_daily_energy_ledger
      aggregate: [sum(total_spent)]
      breakout: [module]
      order_by: [-sum(total_spent)]
    filters: { period: event_date, module: module }
    layout: { row: 1, col: 0, width: 12, height: 6 }
  - key: funnel
    name: Entonnoir pack
    display: table
    sql: |
      SELECT pack_id, sum(views) AS views, sum(purchases) AS purchases
      FROM analytics.vw_pack_funnel WHERE {{period}} GROUP BY 1
    params:
      period: { field: analytics.vw_pack_funnel.event_date, widget: date/all-options }
    filters: { period: period }
    layout: { row: 1, col: 12, width: 12, height: 6 }
subscriptions:
  - key: weekly
    schedule: { every: week, day: mon, hour: 8 }
    to: [list:team]
`,
};
