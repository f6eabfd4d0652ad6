#!/usr/bin/env bash
# Print the first Python >= 3.11 found on PATH (the kit needs 3.11+), or explain how to get one and fail.
set -u
for candidate in "${PYTHON:-}" python3.13 python3.12 python3.11 python3; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
    echo "$path"
    exit 0
  fi
done
echo "No Python 3.11 or newer found. Install one, then re-run make:" >&2
echo "  Debian 12+/Ubuntu 24.04+: sudo apt-get install -y python3 python3-venv" >&2
echo "  Ubuntu 22.04:             sudo apt-get install -y python3.11 python3.11-venv" >&2
echo "  macOS:                    brew install python@3.12" >&2
exit 1
