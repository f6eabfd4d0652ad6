#!/usr/bin/env bash
# Install the system packages the kit uses: graphviz (dot), git, and Debian's docker-registry
# (CNCF distribution, the lab's real OCI registry). Where that is not possible (no root, no apt,
# macOS), print the exact command to run and carry on: the kit falls back where it can.
set -u
packages=(graphviz git)
optional=(docker-registry)

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
command -v git >/dev/null 2>&1 || missing+=(git)
opt_missing=()
[ -x /usr/bin/docker-registry ] || opt_missing+=(docker-registry)

if [ ${#missing[@]} -eq 0 ] && [ ${#opt_missing[@]} -eq 0 ]; then
  echo "system packages: ${packages[*]} ${optional[*]} present"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system packages: no apt-get here. Please install: ${missing[*]} ${opt_missing[*]}"
  echo "  macOS:  brew install graphviz git   (the lab uses its embedded registry instead of docker-registry)"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo="sudo"
  else
    echo "system packages: not root. Please run:"
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]} ${opt_missing[*]}"
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null || echo "system packages: apt-get update failed; trying the install anyway"
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || { echo "system packages: could not install ${missing[*]}: run 'sudo apt-get install -y ${missing[*]}'"; }
fi
if [ ${#opt_missing[@]} -gt 0 ]; then
  # docker-registry's maintainer script may try to start a service; the lab starts its own on loopback.
  $sudo apt-get install -y -qq --no-install-recommends "${opt_missing[@]}" >/dev/null 2>&1 \
    || echo "system packages: docker-registry not available here; the lab will use its embedded registry"
fi
echo "system packages: done"
