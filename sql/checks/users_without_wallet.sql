-- name: users_without_wallet
-- threshold: 0
-- severity: error
-- Users that have no energy wallet (brief §6: "users sans wallet").
SELECT u."id", u."createdAt"
FROM "User" u
WHERE NOT EXISTS (SELECT 1 FROM "EnergyWallet" w WHERE w."userId" = u."id")
