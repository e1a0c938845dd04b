-- name: debit_amount_positive
-- threshold: 0
-- severity: error
-- Transactions whose amount is not positive ("amount" is always positive; "type" gives the sign).
SELECT "id", "userId", "type", "amount", "createdAt"
FROM "EnergyTransaction"
WHERE "amount" <= 0
