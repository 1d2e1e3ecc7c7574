#!/usr/bin/env bash
# `npm test`: installs dependencies if missing, starts PostgreSQL and Redis if they are not running,
# type-checks, and runs every test (vitest; tests create and drop their own databases).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-services.sh
# promtool checks /metrics, the alert rules and their unit tests (Debian's prometheus package).
PROMTOOL="$(bash scripts/ensure-promtool.sh)"
export PROMTOOL
npx tsc --noEmit
npx vitest run "$@"
