#!/usr/bin/env bash
# `npm run local`: the whole job on a laptop — stack up, synthetic data, role + views, Metabase
# bootstrap, apply — then the dashboard URLs. Needs Docker; says what to do instead when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v docker >/dev/null 2>&1 || ! docker info >/dev/null 2>&1; then
  cat >&2 <<'MSG'
Docker is not available here (no docker command, or no running engine), so the local stack cannot start.

To use an existing Metabase and Phoenix database instead:
  export DATABASE_URL=postgres://admin:…@db.example.com:5432/phoenix   # admin connection (role + views)
  export PHOENIX_ANALYTICS_RO_PASSWORD='…'                               # read-only role's password
  export PHOENIX_DB_HOST=db.example.com                                  # how Metabase reaches the database
  export MB_URL=https://metabase.example.com MB_API_KEY='mb_…'           # an Administrators API key
  npx mb-sync db apply && npx mb-sync plan && npx mb-sync apply --yes
MSG
  exit 1
fi

if [ ! -f .env ]; then
  cp .env.example .env
  echo "Created .env from .env.example — change its passwords before sharing this machine." >&2
fi
set -a; . ./.env; set +a

docker compose up -d --wait phoenix-db mailpit
npx tsx scripts/generate-data.ts
npx mb-sync db apply
docker compose up -d --wait metabase
npx mb-sync bootstrap --url "http://localhost:${MB_PORT:-3000}" --smtp-host mailpit --smtp-port 1025
set -a; . ./.env.local; set +a
npx mb-sync apply --env local --yes
npx tsx scripts/print-dashboards.ts
echo "Mails sent by alerts and subscriptions: http://localhost:${MAILPIT_UI_PORT:-8025}" >&2
