#!/usr/bin/env bash
# Installs what the real-browser tests (tests/browser, `pytest -m browser`) need on a Debian machine:
# Chromium and its driver from Debian's packages, and the Python packages (Voila to serve the notebook,
# Playwright to drive the browser) into the project's venv. Playwright's own browser download is never
# used: the tests launch the system Chromium (/usr/bin/chromium).
#
# Usage: scripts/install-browser.sh [VENV]   (VENV defaults to .venv next to this script's parent)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="${1:-.venv}"

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-dejavu-core
fi

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet "voila>=0.5" "playwright>=1.44"

chromium --version
"$VENV/bin/python" -c "import playwright, voila; print('playwright and voila installed')"
