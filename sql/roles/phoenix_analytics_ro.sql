-- The read-only role Metabase connects with: it may read the analytics views and the three tables
-- the brief names (AnalyticsEvent, EnergyWallet, EnergyTransaction), and nothing else: no writes,
-- no "User" (e-mails), no "WorkerRun" directly (only through analytics.vw_worker_runs), no CREATE.
--
-- The password is never written here: `mb-sync db apply` sets it from PHOENIX_ANALYTICS_RO_PASSWORD,
-- in the same transaction, as a SCRAM-SHA-256 verifier it computes (the password itself is never sent,
-- so a server logging DDL does not log it). Run after the views file.

DO $role$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'phoenix_analytics_ro') THEN
    CREATE ROLE phoenix_analytics_ro LOGIN;
  END IF;
END
$role$;

ALTER ROLE phoenix_analytics_ro LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

-- Start from nothing, so a privilege granted by hand does not survive an apply.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM phoenix_analytics_ro;
REVOKE ALL ON ALL TABLES IN SCHEMA analytics FROM phoenix_analytics_ro;
REVOKE CREATE ON SCHEMA public FROM phoenix_analytics_ro;
REVOKE CREATE ON SCHEMA analytics FROM phoenix_analytics_ro;

-- CONNECT is usually granted to PUBLIC; give it explicitly only where it was revoked.
DO $connect$
BEGIN
  IF NOT has_database_privilege('phoenix_analytics_ro', current_database(), 'CONNECT') THEN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO phoenix_analytics_ro', current_database());
  END IF;
END
$connect$;

GRANT USAGE ON SCHEMA public TO phoenix_analytics_ro;
GRANT USAGE ON SCHEMA analytics TO phoenix_analytics_ro;
-- SELECT on the app tables the config names (postgres.readable_tables) is granted by mb-sync, which
-- then revokes everything else the role holds: memberships, database, schema, table, column and
-- default privileges (src/postgres/apply-analytics.ts).
GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO phoenix_analytics_ro;
-- Views created later in "analytics" (by the role running db apply) are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO phoenix_analytics_ro;
