-- name: streak_bonus_matched
-- threshold: 0
-- severity: error
-- ENERGY_BONUS_STREAK events without a CREDIT with action 'bonus.streak' for the same user on the
-- same day (brief §6: "bonus cohérents").
SELECT e."id", e."userId", e."createdAt"
FROM "AnalyticsEvent" e
WHERE e."type" = 'ENERGY_BONUS_STREAK'
  AND NOT EXISTS (
    SELECT 1 FROM "EnergyTransaction" t
    WHERE t."userId" = e."userId"
      AND t."type" = 'CREDIT'
      AND t."metadata" ->> 'action' = 'bonus.streak'
      AND analytics.local_date(t."createdAt") = analytics.local_date(e."createdAt")
  )
