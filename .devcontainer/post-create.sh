#!/usr/bin/env bash
# Devcontainer / Codespaces set-up: exactly the README's set-up (`make setup`), nothing created by hand.
# JupyterLab is started by postStartCommand (`make lab`); a kind cluster only when asked:
# `workshop up --cluster kind`.
set -euo pipefail
cd "$(dirname "$0")/.."
make setup
