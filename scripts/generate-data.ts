/**
 * Synthetic Phoenix data for the local stack: deterministic (seeded), a few hundred users over
 * ~90 days, every event type the dashboards read, some rows with missing action/source, worker
 * runs with failures. Inserts into DATABASE_URL; does nothing if "User" already has rows (--reset
 * empties the app tables first).
 *
 *   DATABASE_URL=postgres://… npx tsx scripts/generate-data.ts [--users 300] [--days 90] [--seed 42] [--reset]
 */
import { parseArgs } from 'node:util';
import { connectPostgres } from '../src/postgres/connect.ts';
import { generatePhoenixData, insertPhoenixData } from '../src/postgres/generate-data.ts';

const { values } = parseArgs({ options: { users: { type: 'string', default: '300' }, days: { type: 'string', default: '90' }, seed: { type: 'string', default: '42' }, reset: { type: 'boolean', default: false } } });
const url = process.env.DATABASE_URL;
if (!url) {
  console.error('Set DATABASE_URL to the Phoenix database (admin connection).');
  process.exit(1);
}
const db = await connectPostgres(url, { label: 'Phoenix database' });
try {
  const data = generatePhoenixData({ users: Number(values.users), days: Number(values.days), seed: Number(values.seed), now: new Date() });
  const inserted = await insertPhoenixData(db, data, { reset: values.reset });
  console.error(inserted ? `inserted ${data.users.length} users, ${data.transactions.length} transactions, ${data.events.length} events, ${data.runs.length} worker runs` : 'the database already has users: nothing inserted (use --reset to start over)');
} finally {
  await db.close();
}
