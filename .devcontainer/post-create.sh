#!/usr/bin/env bash
# Devcontainer / Codespaces set-up: exactly the README's set-up (`make setup`), nothing created by hand.
# JupyterLab is started by postStartCommand (`make lab`, i.e. tools/start-lab.sh: trusts the shipped notebooks,
# puts .venv/bin first on PATH, adds --allow-root as root); a kind cluster only when asked:
# `workshop up --cluster kind`.
set -euo pipefail
cd "$(dirname "$0")/.."
make setup
