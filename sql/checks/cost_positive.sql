-- name: cost_positive
-- threshold: 0
-- severity: error
-- ENERGY_SPENT events whose cost is missing, zero or negative (brief §6: "valeurs cost positives").
SELECT "id", "userId", "createdAt", "metadata" ->> 'cost' AS cost
FROM "AnalyticsEvent"
WHERE "type" = 'ENERGY_SPENT'
  AND (analytics.to_int("metadata" ->> 'cost') IS NULL OR analytics.to_int("metadata" ->> 'cost') <= 0)
