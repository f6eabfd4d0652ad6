#!/usr/bin/env bash
# Start the kit's JupyterLab (what `make lab` runs): the repository as the server's root, opened on
# notebooks/00-welcome.ipynb, the kit's bin folder (.venv/bin: gitops, workshop, kubectl) first on PATH so
# terminals and `!` cells find it, the shipped notebooks trusted so their stored widgets and graphs show, and
# the settings in tools/jupyter/jupyter_lab_config.py (no news prompt, no update check).
# As root (containers, CI images) it adds --allow-root and says so. Extra arguments go to `jupyter lab`,
# e.g. tools/start-lab.sh --ip=0.0.0.0 --no-browser
set -eu
kit="$(cd "$(dirname "$0")/.." && pwd)"
venv="${VENV:-$kit/.venv}"
case "$venv" in /*) ;; *) venv="$kit/$venv" ;; esac
if [ ! -x "$venv/bin/jupyter" ]; then
  echo "start-lab: $venv/bin/jupyter is missing: run 'make setup' (or 'make lab') first" >&2
  exit 1
fi
export PATH="$venv/bin:$PATH"
# tools/jupyter/ holds the kit's Jupyter settings: labconfig/default_setting_overrides.json answers the news prompt
# ("never") for this server only; the user's own Jupyter settings stay as they are.
export JUPYTER_CONFIG_PATH="$kit/tools/jupyter${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"

# Trust the notebooks as shipped (unchanged since the last commit): Jupyter then renders their stored rich
# outputs (04's graph, 01's diff widget) before any cell runs. A notebook you changed is left to Jupyter's own
# rule (its outputs become trusted when you run it).
trust=()
for nb in "$kit"/notebooks/[0-9][0-9]-*.ipynb; do
  [ -f "$nb" ] || continue
  if ! git -C "$kit" rev-parse --git-dir >/dev/null 2>&1 || git -C "$kit" diff --quiet HEAD -- "$nb" 2>/dev/null; then
    trust+=("$nb")
  fi
done
if [ ${#trust[@]} -gt 0 ]; then
  "$venv/bin/jupyter" trust "${trust[@]}" >/dev/null 2>&1 \
    || echo "start-lab: could not trust the notebooks; their stored widgets show once you run their cells" >&2
fi

args=(--config="$kit/tools/jupyter/jupyter_lab_config.py" --ServerApp.root_dir="$kit")
if [ "$(id -u)" -eq 0 ]; then
  echo "start-lab: running as root (usual in containers and CI images): starting JupyterLab with --allow-root"
  args+=(--allow-root)
fi
cd "$kit"
exec "$venv/bin/jupyter" lab "${args[@]}" "$@"
