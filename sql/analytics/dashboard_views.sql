-- Phoenix analytics views (schema "analytics"), built only on the tables of
-- sql/app/phoenix-app-schema.sql. Idempotent: run it as often as you like (mb-sync db apply runs it
-- in one transaction together with the read-only role, and replaces only the views that changed).
--
-- Days are calendar days in the analytics timezone, analytics.analytics_timezone() (Europe/Paris
-- here; `mb-sync db apply` replaces the function with the configured zone). `module` is the part of
-- `action` before the first '.'; a missing action or source reads as 'unknown'. No view exposes
-- e-mail addresses.

CREATE SCHEMA IF NOT EXISTS analytics;

CREATE OR REPLACE FUNCTION analytics.analytics_timezone() RETURNS text
  LANGUAGE sql IMMUTABLE AS $fn$ SELECT 'Europe/Paris'::text $fn$;

-- Calendar day of an instant in the analytics timezone.
CREATE OR REPLACE FUNCTION analytics.local_date(ts timestamptz) RETURNS date
  LANGUAGE sql STABLE AS $fn$ SELECT (ts AT TIME ZONE analytics.analytics_timezone())::date $fn$;

-- Month of signup (first day of the month, analytics timezone).
CREATE OR REPLACE FUNCTION analytics.signup_cohort(created_at timestamptz) RETURNS date
  LANGUAGE sql STABLE AS $fn$ SELECT date_trunc('month', created_at AT TIME ZONE analytics.analytics_timezone())::date $fn$;

-- Integers from JSON metadata written by several app versions: a number or a numeric string;
-- anything else reads as NULL instead of failing the whole view.
CREATE OR REPLACE FUNCTION analytics.to_int(value text) RETURNS integer
  LANGUAGE sql IMMUTABLE AS $fn$
    SELECT CASE WHEN value ~ '^\s*-?\d+(\.\d+)?\s*$' THEN round(value::numeric)::integer END
  $fn$;

CREATE OR REPLACE FUNCTION analytics.label(value text) RETURNS text
  LANGUAGE sql IMMUTABLE AS $fn$ SELECT COALESCE(NULLIF(btrim(value), ''), 'unknown') $fn$;

-- Views are replaced in place (CREATE OR REPLACE), never dropped with CASCADE: a view or
-- materialized view someone built on one of these stays. When a view's columns change in a way
-- Postgres cannot replace, `mb-sync db apply` drops and re-creates it only if nothing but these views
-- depends on it, and otherwise stops naming what does (src/postgres/apply-analytics.ts).

-- One row per day × transaction type × action × source.
CREATE OR REPLACE VIEW analytics.vw_daily_energy_ledger AS
SELECT
  analytics.local_date(t."createdAt") AS event_date,
  t."type" AS transaction_type,
  analytics.label(t."metadata" ->> 'action') AS action,
  split_part(analytics.label(t."metadata" ->> 'action'), '.', 1) AS module,
  analytics.label(t."metadata" ->> 'source') AS source,
  count(*) AS transactions,
  COALESCE(sum(t."amount") FILTER (WHERE t."type" = 'CREDIT'), 0) AS total_credits,
  COALESCE(sum(t."amount") FILTER (WHERE t."type" = 'DEBIT'), 0) AS total_spent,
  COALESCE(sum(t."amount") FILTER (WHERE t."type" = 'CREDIT'), 0)
    - COALESCE(sum(t."amount") FILTER (WHERE t."type" = 'DEBIT'), 0) AS net_amount
FROM "EnergyTransaction" t
GROUP BY 1, 2, 3, 4, 5;

-- One row per ENERGY_SPENT event (logged by spendEnergy).
CREATE OR REPLACE VIEW analytics.vw_energy_spend_events AS
SELECT
  e."id" AS event_id,
  e."userId" AS user_id,
  e."createdAt" AS event_at,
  analytics.local_date(e."createdAt") AS event_date,
  analytics.label(e."metadata" ->> 'action') AS action,
  split_part(analytics.label(e."metadata" ->> 'action'), '.', 1) AS module,
  analytics.label(e."metadata" ->> 'source') AS source,
  analytics.to_int(e."metadata" ->> 'cost') AS cost,
  analytics.to_int(e."metadata" ->> 'balanceAfter') AS balance_after,
  analytics.to_int(e."metadata" ->> 'streakDays') AS streak_days,
  analytics.signup_cohort(u."createdAt") AS signup_cohort,
  COALESCE(analytics.to_int(e."metadata" ->> 'streakDays'), 0) >= 3 AS streak_3plus
FROM "AnalyticsEvent" e
LEFT JOIN "User" u ON u."id" = e."userId"
WHERE e."type" = 'ENERGY_SPENT';

-- One row per user who opened the Aube portal (anonymous views are left out).
CREATE OR REPLACE VIEW analytics.vw_portal_aube AS
WITH viewed AS (
  SELECT
    "userId" AS user_id,
    min("createdAt") AS first_viewed_at,
    count(*) AS views,
    (array_agg("metadata" ->> 'element' ORDER BY "createdAt") FILTER (WHERE NULLIF("metadata" ->> 'element', '') IS NOT NULL))[1] AS element
  FROM "AnalyticsEvent"
  WHERE "type" = 'AUBE_VIEWED' AND "userId" IS NOT NULL
  GROUP BY 1
), completed AS (
  SELECT "userId" AS user_id, min("createdAt") AS first_completed_at, count(*) AS completions
  FROM "AnalyticsEvent"
  WHERE "type" = 'AUBE_COMPLETED' AND "userId" IS NOT NULL
  GROUP BY 1
)
SELECT
  v.user_id,
  analytics.signup_cohort(u."createdAt") AS signup_cohort,
  analytics.label(v.element) AS element,
  v.first_viewed_at,
  c.first_completed_at,
  v.views,
  COALESCE(c.completions, 0) AS completions,
  c.user_id IS NOT NULL AS completed,
  -- A completion logged before the first view (clock skew, replays) has no meaningful duration.
  CASE WHEN c.first_completed_at >= v.first_viewed_at
    THEN round((extract(epoch FROM c.first_completed_at - v.first_viewed_at) / 60)::numeric, 2)
  END AS minutes_to_completion
FROM viewed v
LEFT JOIN completed c ON c.user_id = v.user_id
LEFT JOIN "User" u ON u."id" = v.user_id;

-- One row per day × ritual.
CREATE OR REPLACE VIEW analytics.vw_rituals_daily AS
SELECT
  analytics.local_date("createdAt") AS event_date,
  analytics.label("metadata" ->> 'ritualId') AS ritual_id,
  count(*) AS completions,
  count(DISTINCT "userId") AS users,
  COALESCE(sum(analytics.to_int("metadata" ->> 'energyAwarded')), 0) AS energy_distributed
FROM "AnalyticsEvent"
WHERE "type" = 'RITUAL_COMPLETED'
GROUP BY 1, 2;

-- One row per day × pack: view → click → purchase, and revenue (amount is in cents).
CREATE OR REPLACE VIEW analytics.vw_pack_funnel AS
SELECT
  analytics.local_date("createdAt") AS event_date,
  analytics.label("metadata" ->> 'packId') AS pack_id,
  count(*) FILTER (WHERE "type" = 'ENERGY_PACK_VIEWED') AS views,
  count(*) FILTER (WHERE "type" = 'ENERGY_PACK_CLICKED') AS clicks,
  count(*) FILTER (WHERE "type" = 'PACK_PURCHASED') AS purchases,
  round(COALESCE(sum(analytics.to_int("metadata" ->> 'amount')) FILTER (WHERE "type" = 'PACK_PURCHASED'), 0) / 100.0, 2) AS revenue
FROM "AnalyticsEvent"
WHERE "type" IN ('ENERGY_PACK_VIEWED', 'ENERGY_PACK_CLICKED', 'PACK_PURCHASED')
GROUP BY 1, 2;

-- One row per wallet: current balance and activity.
CREATE OR REPLACE VIEW analytics.vw_user_energy_health AS
SELECT
  w."userId" AS user_id,
  analytics.signup_cohort(u."createdAt") AS signup_cohort,
  w."balance" AS balance,
  w."streakDays" AS streak_days,
  w."lastActivityAt" AS last_activity_at,
  analytics.local_date(now()) - analytics.local_date(w."lastActivityAt") AS days_inactive,
  w."balance" < 10 AS low_balance,
  w."balance" = 0 AS zero_balance,
  w."streakDays" >= 3 AS streak_3plus
FROM "EnergyWallet" w
LEFT JOIN "User" u ON u."id" = w."userId";

-- One row per day with any product event.
CREATE OR REPLACE VIEW analytics.vw_daily_activity AS
SELECT
  analytics.local_date("createdAt") AS event_date,
  count(DISTINCT "userId") AS active_users,
  count(*) FILTER (WHERE "type" = 'AUBE_VIEWED') AS aube_views,
  count(*) FILTER (WHERE "type" = 'AUBE_COMPLETED') AS aube_completions,
  count(*) FILTER (WHERE "type" = 'REFLECTION_CREATED' AND "metadata" ->> 'source' = 'ai') AS ai_reflections,
  count(*) FILTER (WHERE "type" = 'RITUAL_COMPLETED') AS rituals_completed,
  count(*) FILTER (WHERE "type" = 'ENERGY_BONUS_STREAK') AS streak_bonuses,
  count(*) FILTER (WHERE "type" = 'PACK_PURCHASED') AS pack_purchases
FROM "AnalyticsEvent"
GROUP BY 1;

-- Notable events, with a readable French label.
CREATE OR REPLACE VIEW analytics.vw_recent_events AS
SELECT
  e."createdAt" AS event_at,
  e."userId" AS user_id,
  e."type" AS event_type,
  CASE e."type"
    WHEN 'AUBE_COMPLETED' THEN 'Aube complétée' || COALESCE(' (' || NULLIF(e."metadata" ->> 'element', '') || ')', '')
    WHEN 'BADGE_EARNED' THEN 'Badge ' || COALESCE(NULLIF(e."metadata" ->> 'badge', ''), 'inconnu')
    WHEN 'PACK_PURCHASED' THEN 'Pack ' || analytics.label(e."metadata" ->> 'packId') || ' acheté'
      || COALESCE(' (' || replace(to_char(analytics.to_int(e."metadata" ->> 'amount') / 100.0, 'FM999999990.00'), '.', ',')
        || ' ' || upper(COALESCE(NULLIF(e."metadata" ->> 'currency', ''), 'eur')) || ')', '')
    WHEN 'REFERRAL_COMPLETED' THEN 'Parrainage complété'
  END AS label
FROM "AnalyticsEvent" e
WHERE e."type" IN ('AUBE_COMPLETED', 'BADGE_EARNED', 'PACK_PURCHASED', 'REFERRAL_COMPLETED');

-- One row per background job run (the read-only role reads WorkerRun only through this view).
CREATE OR REPLACE VIEW analytics.vw_worker_runs AS
SELECT
  r."id" AS run_id,
  r."worker" AS worker,
  r."status" AS status,
  r."startedAt" AS started_at,
  r."finishedAt" AS finished_at,
  analytics.local_date(r."startedAt") AS run_date,
  CASE WHEN r."finishedAt" IS NOT NULL THEN round(extract(epoch FROM r."finishedAt" - r."startedAt")::numeric, 1) END AS duration_seconds,
  r."itemsProcessed" AS items_processed,
  r."status" = 'FAILED' AS failed,
  left(r."error", 500) AS error
FROM "WorkerRun" r;

-- Alert source: daily Aube completion rate against its trailing 7-day average.
CREATE OR REPLACE VIEW analytics.vw_aube_completion_daily AS
WITH bounds AS (
  SELECT min(analytics.local_date("createdAt")) AS first_day, max(analytics.local_date("createdAt")) AS last_day
  FROM "AnalyticsEvent" WHERE "type" IN ('AUBE_VIEWED', 'AUBE_COMPLETED')
), days AS (
  SELECT generate_series(first_day, last_day, interval '1 day')::date AS event_date FROM bounds WHERE first_day IS NOT NULL
), counts AS (
  SELECT
    analytics.local_date("createdAt") AS event_date,
    count(DISTINCT "userId") FILTER (WHERE "type" = 'AUBE_VIEWED') AS viewers,
    count(DISTINCT "userId") FILTER (WHERE "type" = 'AUBE_COMPLETED') AS completers
  FROM "AnalyticsEvent"
  WHERE "type" IN ('AUBE_VIEWED', 'AUBE_COMPLETED')
  GROUP BY 1
), rates AS (
  SELECT
    d.event_date,
    COALESCE(c.viewers, 0) AS viewers,
    COALESCE(c.completers, 0) AS completers,
    CASE WHEN c.viewers > 0 THEN round(c.completers::numeric / c.viewers, 4) END AS completion_rate
  FROM days d LEFT JOIN counts c USING (event_date)
), windowed AS (
  SELECT *, round(avg(completion_rate) OVER (ORDER BY event_date RANGE BETWEEN interval '7 days' PRECEDING AND interval '1 day' PRECEDING), 4) AS trailing_avg_rate
  FROM rates
)
SELECT
  event_date, viewers, completers, completion_rate, trailing_avg_rate,
  CASE WHEN trailing_avg_rate > 0 AND completion_rate IS NOT NULL THEN round(1 - completion_rate / trailing_avg_rate, 4) END AS drop_ratio
FROM windowed;

-- Alert source: users whose balance reached zero, per day, against the trailing 7-day average.
CREATE OR REPLACE VIEW analytics.vw_zero_balance_daily AS
WITH bounds AS (
  SELECT min(analytics.local_date("createdAt")) AS first_day, max(analytics.local_date("createdAt")) AS last_day
  FROM "EnergyTransaction" WHERE "type" = 'DEBIT'
), days AS (
  SELECT generate_series(first_day, last_day, interval '1 day')::date AS event_date FROM bounds WHERE first_day IS NOT NULL
), counts AS (
  SELECT analytics.local_date("createdAt") AS event_date, count(DISTINCT "userId") AS users_at_zero
  FROM "EnergyTransaction"
  WHERE "type" = 'DEBIT' AND "balanceAfter" = 0
  GROUP BY 1
), windowed AS (
  SELECT
    d.event_date,
    COALESCE(c.users_at_zero, 0) AS users_at_zero,
    round(avg(COALESCE(c.users_at_zero, 0)) OVER (ORDER BY d.event_date RANGE BETWEEN interval '7 days' PRECEDING AND interval '1 day' PRECEDING), 2) AS trailing_avg
  FROM days d LEFT JOIN counts c USING (event_date)
)
SELECT
  event_date, users_at_zero, trailing_avg,
  CASE WHEN trailing_avg > 0 THEN round(users_at_zero / trailing_avg, 2) END AS surge_ratio
FROM windowed;
