#!/usr/bin/env bash
# Install everything and start the demo: a fake Icecast station, the relay, and the demo page.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
pnpm demo
