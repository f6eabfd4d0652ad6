# The kit's JupyterLab server settings; tools/start-lab.sh passes this file with --config (and puts this folder on
# JUPYTER_CONFIG_PATH for labconfig/default_setting_overrides.json, which turns the news prompt off).
# (`c` is the config object Jupyter gives a config file.)
c = get_config()  # type: ignore[name-defined]  # noqa: F821

# Open on the first lesson. The server's root is the repository (start-lab.sh sets root_dir), so lessons can
# link to ../gitops/README.md and ../README.md, and a terminal sees the whole kit.
c.LabApp.default_url = "/lab/tree/notebooks/00-welcome.ipynb"

# No first-run prompt about Jupyter news, and no update checks: the workshop runs offline.
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"

# Terminals run bash (not a login shell: /etc/profile would reset PATH and drop the kit's bin folder), so
# `eval "$(workshop env NN)"` and `source .../env.sh` work as the lessons show.
import shutil  # noqa: E402

if shutil.which("bash"):
    c.ServerApp.terminado_settings = {"shell_command": [shutil.which("bash")]}
