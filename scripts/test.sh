#!/usr/bin/env bash
# One command: install everything from scratch, then type-check and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npm test
