#!/usr/bin/env bash
# `npm run bench -- [--scale quick|seed] [--workers 1,2] [--seed S] [--load-repeats R]`: see bench/run.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
bash scripts/ensure-services.sh
exec npx tsx bench/run.ts "$@"
