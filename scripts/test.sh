#!/usr/bin/env bash
# `npm test`: everything CI checks, in the order that fails fastest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/test-prerequisites.sh
pg_url="${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}"
echo "== lint";            npm run --silent lint
echo "== typecheck";       npm run --silent typecheck
echo "== build";           npm run --silent build
echo "== unit and integration tests on PGlite"
npm run --silent test:unit
echo "== unit and integration tests on PostgreSQL ($pg_url)"
TEST_DATABASE="$pg_url" npm run --silent test:unit
echo "== end-to-end tests in Chromium"
npm run --silent test:e2e
echo "== end-to-end: instant detection at the monitor's 60 s interval (its own stack)"
E2E_STACK=detection npx playwright test -c playwright.detection.config.ts
