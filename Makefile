# ClientLens: `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
DEMO_CUSTOMERS ?= 20000
DEMO_SEED ?= 42
LAB_ARGS ?=


.DEFAULT_GOAL := help
.PHONY: help venv kernel spark demo-data demo test lab bench clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade "pip==25.3" 2>/dev/null || true
	PIP_CONSTRAINT=constraints.txt $(PIP) install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the pinned dependencies

kernel: $(STAMP) ## Register the project's Jupyter kernel ("clientlens") in .venv
	$(PY) -m ipykernel install --sys-prefix --name clientlens --display-name "Python (clientlens)" >/dev/null

spark: $(STAMP) ## Install the optional Spark extra (engine: spark; needs Java 17 or 21)
	PIP_CONSTRAINT=constraints.txt $(PIP) install --quiet -e ".[dev,spark]"

demo-data: $(STAMP) ## Generate the demo bank (DEMO_CUSTOMERS, DEMO_SEED) into data/demo
	$(VENV)/bin/clientlens demo --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED) --out data/demo

demo: kernel demo-data ## Set up, generate the demo bank and run every report into reports/
	$(VENV)/bin/clientlens run-all --params params/default.yaml --force
	$(VENV)/bin/clientlens run-all --params params/default.yaml --force -p language=zh  # Chinese reports: reports/<as_of>/zh/, reusing the run cache
	@echo "Reports: $(CURDIR)/reports/index.html"

test: kernel ## Run the whole test suite (with the Spark equality tests where Java 17+ is present)
	@if $(PY) -c "import sys; from clientlens.engine import java_version as j; v = j(); sys.exit(0 if v and v >= 17 else 1)"; then \
	  $(PY) -c "import pyspark, sqlglot" 2>/dev/null || PIP_CONSTRAINT=constraints.txt $(PIP) install --quiet -e ".[dev,spark]"; \
	else echo "make test: no Java 17+ on JAVA_HOME or PATH: the Spark equality tests (engine: spark) are skipped"; fi
	$(PY) -m pytest -n 2 --dist loadgroup -q --durations=15

lab: kernel ## Open JupyterLab on notebooks/ with the project kernel
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(LAB_ARGS) $(if $(filter 0,$(shell id -u)),--allow-root,)

bench: kernel ## Run the benchmark harness; writes benchmarks/results/<date>.json
	$(PY) -m benchmarks.run

clean: ## Remove .venv (reports and data are kept)
	rm -rf $(VENV)
