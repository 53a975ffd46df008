#!/usr/bin/env bash
# One command: install the npm dependencies if needed, then run Luna's demo on built-in samples.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ]; then npm ci --no-fund --no-audit --loglevel=error; fi
exec ./bin/luna demo "$@"
