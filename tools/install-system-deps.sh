#!/usr/bin/env bash
# Install the system packages the kit uses: graphviz (dot), git, curl (for kubectl), Python's venv support, and Debian's
# docker-registry (CNCF distribution, the lab's real OCI registry), and chromium for the browser test
# (tests/browser/, skipped with its reason without it). Where that is not possible (no root,
# no apt, macOS), print the exact command to run and carry on: the kit falls back where it can.
set -u
here="$(cd "$(dirname "$0")" && pwd)"

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
if python=$("$here/find-python.sh" 2>/dev/null); then
  if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
    case "$python" in
      /usr/bin/*) missing+=("$("$python" -c 'import sys; print(f"python{sys.version_info[0]}.{sys.version_info[1]}-venv")')") ;;
      *) echo "system packages: $python cannot create virtual environments (no ensurepip); install its venv support" ;;
    esac
  fi
fi
optional=()
[ -x /usr/bin/docker-registry ] || optional+=(docker-registry)
browser=()
[ -x /usr/bin/chromium ] || browser+=(chromium)

if [ ${#missing[@]} -eq 0 ] && [ ${#optional[@]} -eq 0 ] && [ ${#browser[@]} -eq 0 ]; then
  echo "system packages: graphviz git python-venv docker-registry chromium present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages: no apt-get here. Please install: ${missing[*]} (docker-registry and chromium are optional)"
  echo "  macOS:  brew install graphviz git   (the lab uses its embedded registry instead of docker-registry)"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "system packages: not root. Please run:"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]} ${optional[*]} ${browser[*]}"
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || echo "system packages: apt-get update failed; trying the install anyway"
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || echo "system packages: could not install ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}'"
fi
if [ ${#optional[@]} -gt 0 ]; then
  # The package's maintainer script may try to start a system service; the lab starts its own on loopback.
  $sudo apt-get install -y -qq --no-install-recommends "${optional[@]}" >/dev/null 2>&1 \
    || echo "system packages: docker-registry not available here; the lab will use its embedded registry"
fi
if [ ${#browser[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${browser[@]}" >/dev/null 2>&1 \
    || echo "system packages: chromium not available here; the browser test will be skipped"
fi
echo "system packages: done"
