#!/usr/bin/env bash
# Install everything from scratch and run every test: unit and integration (vitest) and
# end-to-end in a real browser (Playwright). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --for-tests
pnpm test
