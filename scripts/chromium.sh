#!/usr/bin/env bash
# Makes Debian's Chromium ready for the dashboard's browser tests: installs the package when missing and prints the
# browser's path. Used by scripts/test.sh; safe to run again. Playwright (Microsoft.Playwright 1.64.1) drives it over
# the DevTools protocol, which changes slowly; tested with Debian's chromium 156.0.8078.114. Should a later Chromium
# break the browser tests, install the version above (apt-get install chromium=<version>) and raise Playwright.
set -euo pipefail

log() { echo "[chromium] $*" >&2; }

if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi

if ! command -v chromium >/dev/null 2>&1; then
  log "Chromium is not installed; installing the Debian package (apt-get)."
  $SUDO apt-get update -qq >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >&2
fi

command -v chromium
