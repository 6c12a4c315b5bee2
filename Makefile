# The two commands: `make demo` and `make test`. Both build .venv from pinned versions.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
REPORT ?= report

.PHONY: demo test results lint system-deps clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# one stamp per extra set, rebuilt when the pins or the project change
$(VENV)/.stamp-%: pyproject.toml constraints.txt | $(PY)
	$(PIP) -e ".[$*]"
	@touch $@

system-deps:
	bash scripts/install-system-deps.sh

demo: system-deps $(VENV)/.stamp-demo
	$(VENV)/bin/icaxes demo -o $(REPORT)

# every table of docs/results.md (CSV, figures and summary.md in $(RESULTS)/; ~20 min on 2 cores)
RESULTS ?= results
results: system-deps $(VENV)/.stamp-test
	$(VENV)/bin/icaxes evaluate glove-6b-50d --tasks all --refits 3 -o $(RESULTS)

test: system-deps $(VENV)/.stamp-test
	$(VENV)/bin/ruff check src tests benchmarks
	$(PY) -m pytest

clean:
	rm -rf $(VENV) $(REPORT) .pytest_cache
