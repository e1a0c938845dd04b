-- name: spend_without_source
-- threshold: 0
-- severity: warning
-- Debits and ENERGY_SPENT events without metadata.source (brief §6: "harmoniser metadata.source");
-- a warning while older rows are being harmonised.
SELECT 'transaction' AS kind, "id", "createdAt"
FROM "EnergyTransaction"
WHERE "type" = 'DEBIT' AND NULLIF(btrim("metadata" ->> 'source'), '') IS NULL
UNION ALL
SELECT 'event', "id", "createdAt"
FROM "AnalyticsEvent"
WHERE "type" = 'ENERGY_SPENT' AND NULLIF(btrim("metadata" ->> 'source'), '') IS NULL
