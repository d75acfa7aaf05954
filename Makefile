# Entry points: `make demo`, `make test` and `make docs`. Each creates .venv if it is missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Extras of netdyn installed into .venv (e.g. PIP_EXTRAS=test,mpi adds mpi4py: then the MPI
# tests run under mpiexec instead of skipping). One stamp per set of extras.
PIP_EXTRAS ?= test
comma := ,
STAMP := $(VENV)/.installed-$(subst $(comma),+,$(PIP_EXTRAS))
DEMO_OUT ?= demo-output
# Worker processes of `make test` (pytest-xdist): 2, the CI machine's cores; 0 runs the suite in
# one process. Each test file runs whole in one worker (--dist loadfile), so a module's fixtures
# are computed once.
TEST_WORKERS ?= 2
DOCS_STAMP := $(VENV)/.installed-docs
DOCS_OUT ?= docs/_build/html
# cache: a notebook is executed again only when its code changed (CI builds from a clean
# clone, so it always executes them); force: execute every notebook on every build.
NB_EXECUTION_MODE ?= cache
SPHINXOPTS ?=

.PHONY: demo test docs bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e ".[$(PIP_EXTRAS)]"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/netdyn chaos --out $(DEMO_OUT) --sessions 2 --trials 5 --workers 2

test: $(STAMP)
	$(PY) -m pytest -q -m "not slow" -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

$(DOCS_STAMP): $(STAMP) pyproject.toml
	$(PY) -m pip install -q --disable-pip-version-check -e ".[test,docs]"
	touch $(DOCS_STAMP)

# The documentation site: warnings (broken references, bad reST) and notebooks that fail to
# execute fail the build. Notebooks run on one thread, as on a shared 2-core machine.
docs: $(DOCS_STAMP)
	NETDYN_NB_EXECUTION_MODE=$(NB_EXECUTION_MODE) OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 \
	MKL_NUM_THREADS=1 NUMBA_NUM_THREADS=1 \
	$(PY) -m sphinx -W --keep-going -b html docs $(DOCS_OUT) $(SPHINXOPTS)
	@echo "Documentation: $(DOCS_OUT)/index.html"

bench: $(STAMP)
	$(PY) benchmarks/chaos.py
	$(PY) benchmarks/srnn.py
	$(PY) benchmarks/spiking.py
	$(PY) benchmarks/consolidation.py

clean:
	rm -rf $(VENV) $(DEMO_OUT) docs/_build docs/api/generated
