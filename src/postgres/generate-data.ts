import type { SqlRunner } from './runner.ts';

export interface PhoenixData {
  users: Array<{ id: string; email: string; createdAt: string }>;
  wallets: Array<{ id: string; userId: string; balance: number; streakDays: number; lastActivityAt: string | null }>;
  transactions: Array<{ id: string; walletId: string; userId: string; type: 'CREDIT' | 'DEBIT'; amount: number; balanceAfter: number; metadata: Record<string, unknown>; createdAt: string }>;
  events: Array<{ id: string; userId: string | null; type: string; metadata: Record<string, unknown>; createdAt: string }>;
  runs: Array<{ id: string; worker: string; status: string; startedAt: string; finishedAt: string | null; itemsProcessed: number | null; error: string | null }>;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SPENDS = [
  { action: 'letters.generate', source: 'letters', cost: 10 },
  { action: 'cv-builder.generate', source: 'cv-builder', cost: 15 },
  { action: 'chat.message', source: 'chat', cost: 2 },
  { action: 'aube.reflect', source: 'aube', cost: 5 },
];
const ELEMENTS = ['feu', 'eau', 'air', 'terre'];
const RITUALS = ['r-matin', 'r-soir', 'r-gratitude'];
const PACKS = [{ id: 'starter', cents: 499 }, { id: 'plus', cents: 999 }, { id: 'max', cents: 1999 }];

export function generatePhoenixData(options: { users: number; days: number; seed: number; now: Date }): PhoenixData {
  const rnd = random(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)]!;
  const day = 86_400_000;
  const start = options.now.getTime() - options.days * day;
  const at = (t: number) => new Date(Math.min(t, options.now.getTime() - 60_000)).toISOString();
  const data: PhoenixData = { users: [], wallets: [], transactions: [], events: [], runs: [] };
  let n = 0;
  const id = (prefix: string) => `${prefix}_${(++n).toString(36)}`;

  for (let u = 0; u < options.users; u++) {
    const userId = `user_${u + 1}`;
    // Signups spread over the period plus some older cohorts.
    const signup = start - (rnd() < 0.3 ? rnd() * 120 * day : 0) + rnd() * options.days * day * 0.8;
    data.users.push({ id: userId, email: `user${u + 1}@phoenix.example.com`, createdAt: at(signup) });
    if (rnd() < 0.03) continue; // a few users never got a wallet (a data-quality check finds them)
    const walletId = `wallet_${u + 1}`;
    let balance = 50;
    let streak = 0;
    let last: number | null = signup;
    data.transactions.push({ id: id('tx'), walletId, userId, type: 'CREDIT', amount: 50, balanceAfter: 50, metadata: { action: 'signup.welcome', source: 'signup' }, createdAt: at(signup + 60_000) });
    const engagement = rnd();
    for (let t = signup + day * 0.5; t < options.now.getTime(); t += day * (0.6 + rnd() * 2.5 / (engagement + 0.2))) {
      streak = rnd() < 0.7 ? streak + 1 : 0;
      last = t;
      if (rnd() < 0.5) {
        const element = pick(ELEMENTS);
        data.events.push({ id: id('ev'), userId, type: 'AUBE_VIEWED', metadata: { element }, createdAt: at(t) });
        if (rnd() < 0.55) data.events.push({ id: id('ev'), userId, type: 'AUBE_COMPLETED', metadata: { element }, createdAt: at(t + (2 + rnd() * 25) * 60_000) });
      }
      if (rnd() < 0.4) data.events.push({ id: id('ev'), userId, type: 'REFLECTION_CREATED', metadata: { source: rnd() < 0.6 ? 'ai' : 'manual' }, createdAt: at(t + 3_600_000) });
      if (rnd() < 0.45) {
        const energyAwarded = 3 + Math.floor(rnd() * 3);
        balance += energyAwarded;
        data.events.push({ id: id('ev'), userId, type: 'RITUAL_COMPLETED', metadata: { ritualId: pick(RITUALS), energyAwarded }, createdAt: at(t + 1_800_000) });
        data.transactions.push({ id: id('tx'), walletId, userId, type: 'CREDIT', amount: energyAwarded, balanceAfter: balance, metadata: { action: 'ritual.complete', source: 'rituals' }, createdAt: at(t + 1_800_000) });
      }
      if (streak >= 3 && rnd() < 0.3) {
        balance += 3;
        data.events.push({ id: id('ev'), userId, type: 'ENERGY_BONUS_STREAK', metadata: { streakDays: streak, bonus: 3 }, createdAt: at(t + 600_000) });
        data.transactions.push({ id: id('tx'), walletId, userId, type: 'CREDIT', amount: 3, balanceAfter: balance, metadata: { action: 'bonus.streak', source: 'streak' }, createdAt: at(t + 600_000) });
      }
      for (let s = Math.floor(rnd() * 3); s > 0 && balance > 0; s--) {
        const spend = pick(SPENDS);
        const cost = Math.min(spend.cost, balance);
        balance -= cost;
        const legacy = rnd() < 0.08; // older rows without source (being harmonised)
        const metadata = legacy ? { action: spend.action } : { action: spend.action, source: spend.source };
        data.transactions.push({ id: id('tx'), walletId, userId, type: 'DEBIT', amount: cost, balanceAfter: balance, metadata, createdAt: at(t + 7_200_000 + s * 60_000) });
        data.events.push({ id: id('ev'), userId, type: 'ENERGY_SPENT', metadata: { ...metadata, cost, balanceAfter: balance, streakDays: streak }, createdAt: at(t + 7_200_000 + s * 60_000) });
      }
      if (rnd() < 0.15) {
        const pack = pick(PACKS);
        data.events.push({ id: id('ev'), userId, type: 'ENERGY_PACK_VIEWED', metadata: { packId: pack.id }, createdAt: at(t + 9_000_000) });
        if (rnd() < 0.4) data.events.push({ id: id('ev'), userId, type: 'ENERGY_PACK_CLICKED', metadata: { packId: pack.id }, createdAt: at(t + 9_060_000) });
        if (rnd() < 0.25) {
          data.events.push({ id: id('ev'), userId, type: 'PACK_PURCHASED', metadata: { packId: pack.id, amount: pack.cents, currency: 'eur', paymentIntentId: id('pi') }, createdAt: at(t + 9_120_000) });
          balance += Math.round(pack.cents / 10);
          data.transactions.push({ id: id('tx'), walletId, userId, type: 'CREDIT', amount: Math.round(pack.cents / 10), balanceAfter: balance, metadata: { action: 'pack.purchase', source: 'checkout' }, createdAt: at(t + 9_120_000) });
        }
      }
      if (rnd() < 0.02) data.events.push({ id: id('ev'), userId, type: 'BADGE_EARNED', metadata: { badge: 'RISE' }, createdAt: at(t + 10_000_000) });
      if (rnd() < 0.01) data.events.push({ id: id('ev'), userId, type: 'REFERRAL_COMPLETED', metadata: { referrerId: `user_${1 + Math.floor(rnd() * options.users)}` }, createdAt: at(t + 11_000_000) });
      if (rnd() < 0.1) data.events.push({ id: id('ev'), userId, type: 'CHAT_MESSAGE', metadata: {}, createdAt: at(t + 12_000_000) });
    }
    data.wallets.push({ id: walletId, userId, balance, streakDays: streak, lastActivityAt: last === null ? null : at(last) });
  }
  // Anonymous Aube and pack views.
  for (let i = 0; i < options.days * 3; i++) {
    data.events.push({ id: id('ev'), userId: null, type: rnd() < 0.5 ? 'AUBE_VIEWED' : 'ENERGY_PACK_VIEWED', metadata: rnd() < 0.5 ? { element: pick(ELEMENTS) } : { packId: pick(PACKS).id }, createdAt: at(start + rnd() * options.days * day) });
  }
  for (let d = 0; d < options.days; d++) {
    for (const worker of ['letters-reminder', 'rituals', 'streak']) {
      const started = start + d * day + 5 * 3_600_000 + rnd() * 600_000;
      const failed = rnd() < 0.06;
      data.runs.push({ id: id('run'), worker, status: failed ? 'FAILED' : 'SUCCESS', startedAt: at(started), finishedAt: at(started + (5 + rnd() * 120) * 1000), itemsProcessed: failed ? 0 : Math.floor(rnd() * 200), error: failed ? pick(['timeout', 'SMTP 421 try again later', 'deadlock detected']) : null });
    }
  }
  return data;
}

/** Inserts in batches; returns false (and inserts nothing) when users exist, unless reset. */
export async function insertPhoenixData(db: SqlRunner, data: PhoenixData, options: { reset?: boolean } = {}): Promise<boolean> {
  if (options.reset) await db.exec('TRUNCATE "AnalyticsEvent", "EnergyTransaction", "EnergyWallet", "WorkerRun", "User" CASCADE');
  const existing = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM "User"');
  if (Number(existing.rows[0]?.n ?? 0) > 0) return false;
  const insert = async <T extends object>(table: string, rows: T[], columns: Array<keyof T & string>) => {
    for (let i = 0; i < rows.length; i += 500) {
      const batch = rows.slice(i, i + 500);
      const params: unknown[] = [];
      const tuples = batch.map((row) => `(${columns.map((c) => {
        const value = row[c];
        params.push(typeof value === 'object' && value !== null ? JSON.stringify(value) : value);
        return `$${params.length}`;
      }).join(', ')})`);
      await db.query(`INSERT INTO "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) VALUES ${tuples.join(', ')}`, params);
    }
  };
  await db.exec('BEGIN');
  try {
    await insert('User', data.users, ['id', 'email', 'createdAt']);
    await insert('EnergyWallet', data.wallets, ['id', 'userId', 'balance', 'streakDays', 'lastActivityAt']);
    await insert('EnergyTransaction', data.transactions, ['id', 'walletId', 'userId', 'type', 'amount', 'balanceAfter', 'metadata', 'createdAt']);
    await insert('AnalyticsEvent', data.events, ['id', 'userId', 'type', 'metadata', 'createdAt']);
    await insert('WorkerRun', data.runs, ['id', 'worker', 'status', 'startedAt', 'finishedAt', 'itemsProcessed', 'error']);
    await db.exec('COMMIT');
  } catch (error) {
    await db.exec('ROLLBACK');
    throw error;
  }
  return true;
}
