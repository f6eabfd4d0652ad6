# The two commands a learner or CI needs: `make lab` and `make test`. Both run `make setup` first.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
LAB_ARGS ?=

.PHONY: setup system-deps venv kubectl lab test lint bench clean

## setup: system packages (graphviz, git, python venv, docker-registry), .venv with the kit, kubectl if missing
setup: system-deps venv kubectl

system-deps:
	@bash tools/install-system-deps.sh

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || "$$(bash tools/find-python.sh)" -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip
	@$(PY) -m pip install -q -e ".[dev]"
	@$(PY) -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (workshop)" >/dev/null
	@touch $@

venv: $(VENV)/.installed

kubectl: venv
	@bash tools/install-kubectl.sh $(VENV)

## lab: set up, then start JupyterLab on the kit (tools/start-lab.sh: opens notebooks/00-welcome.ipynb, the kit's
## bin first on PATH, shipped notebooks trusted, --allow-root as root; LAB_ARGS="--ip=0.0.0.0 --no-browser" in containers)
lab: setup
	@VENV="$(VENV)" bash tools/start-lab.sh $(LAB_ARGS)

## test: set up, then every test: unit, conformance, project checks, nbval on notebooks/*.ipynb
test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check engine workshop tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: venv
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .lab
