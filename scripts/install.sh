#!/usr/bin/env bash
# Install everything now-playing needs, from scratch, on Debian/Ubuntu with Node >= 20.19: pnpm 10 and
# the workspace's dependencies (from the lockfile). With --for-tests, also what the tests run against:
# a redis-server (scale-out tests), an nginx (deployment test) and a Chromium (browser tests) when
# Playwright's own browser is not there. Safe to run again: each step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."

need_pnpm="10.34.9"
if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version)" != 10.* ]]; then
  echo "» installing pnpm ${need_pnpm}"
  npm install --global "pnpm@${need_pnpm}" --no-fund --no-audit --loglevel=error
fi

echo "» installing dependencies"
pnpm install --frozen-lockfile --reporter=append-only

# apt_install <package> <why>: install a Debian package (as root), or say how to get it and stop.
apt_updated=""
apt_install() {
  if command -v apt-get >/dev/null 2>&1 && [[ "$(id -u)" == 0 ]]; then
    echo "» installing Debian's $1"
    [[ -n "$apt_updated" ]] || { apt-get update -qq; apt_updated=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  else
    echo "No $1 found ($2): sudo apt-get install $1" >&2
    exit 1
  fi
}

if [[ "${1:-}" == "--for-tests" ]]; then
  # The tests start their own instances in the foreground, on their own ports; the relay needs neither.
  command -v redis-server >/dev/null 2>&1 || apt_install redis-server "the scale-out tests start one"
  command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || apt_install nginx "the deployment test runs one"
  # Playwright's own browser is preferred where a user has it; otherwise Debian's Chromium.
  if ls "${PLAYWRIGHT_BROWSERS_PATH:-$HOME/.cache/ms-playwright}"/chromium*-*/ >/dev/null 2>&1; then
    echo "» using Playwright's own Chromium"
  elif [[ -n "${CHROMIUM_PATH:-}" && -x "${CHROMIUM_PATH}" ]] || [[ -x /usr/bin/chromium ]]; then
    echo "» using ${CHROMIUM_PATH:-/usr/bin/chromium}"
  else
    apt_install chromium "the browser tests need one; or npx playwright install chromium, or set CHROMIUM_PATH"
  fi
fi
