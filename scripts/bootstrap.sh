#!/usr/bin/env bash
# Make sure uv is available (fresh Debian has python3 but no uv); print its path.
set -euo pipefail
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ -x "$HOME/.local/bin/uv" ]; then echo "$HOME/.local/bin/uv"; exit 0; fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip python3-venv >&2
  else
    echo "python3 -m pip is missing: install python3-pip (or uv) first" >&2; exit 1
  fi
fi
python3 -m pip install --quiet --user uv >&2 2>/dev/null \
  || python3 -m pip install --quiet --user --break-system-packages uv >&2
if command -v uv >/dev/null 2>&1; then command -v uv; else echo "$HOME/.local/bin/uv"; fi
