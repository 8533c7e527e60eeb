#!/usr/bin/env bash
# Install everything now-playing needs, from scratch, on Debian/Ubuntu with Node >= 20.19:
# pnpm 10, the workspace's dependencies (from the lockfile), a redis-server for the scale-out tests,
# an nginx for the deployment test, and a Chromium for the browser tests when Playwright's own browser is not there. Safe to run again: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pnpm="10.34.9"
if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version)" != 10.* ]]; then
  echo "» installing pnpm ${need_pnpm}"
  npm install --global "pnpm@${need_pnpm}" --no-fund --no-audit --loglevel=error
fi

echo "» installing dependencies"
pnpm install --frozen-lockfile --reporter=append-only

# The scale-out tests start a real redis-server (Debian's package; the relay itself needs none).
if ! command -v redis-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "» installing Debian's redis-server"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "No redis-server found (the scale-out tests start one): sudo apt-get install redis-server" >&2
    exit 1
  fi
fi

# The deployment e2e test (e2e/nginx.spec.ts) runs a real nginx in front of the relay (Debian's
# package; the test starts its own instance in the foreground, on its own ports).
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
  if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "» installing Debian's nginx"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  else
    echo "No nginx found (the deployment test runs one): sudo apt-get install nginx" >&2
    exit 1
  fi
fi

if [[ "${1:-}" == "--with-browser" ]]; then
  # Playwright's own browser is preferred where a user has it; otherwise Debian's Chromium.
  if ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium*-*/ >/dev/null 2>&1; then
    echo "» using Playwright's own Chromium"
  elif [[ -n "${CHROMIUM_PATH:-}" && -x "${CHROMIUM_PATH}" ]] || [[ -x /usr/bin/chromium ]]; then
    echo "» using ${CHROMIUM_PATH:-/usr/bin/chromium}"
  elif command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "» installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "No Chromium found. Install one (sudo apt-get install chromium, or npx playwright install chromium)" >&2
    echo "or set CHROMIUM_PATH to a Chromium binary, then run this again." >&2
    exit 1
  fi
fi
