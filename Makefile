# The two commands: `make demo` and `make test`. Both build .venv from pinned versions.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
REPORT ?= report
# ICA on real embeddings has many nearby fixed points, and which one a fit reaches depends on the
# float rounding of its GEMMs, which differs between OpenBLAS's CPU kernels (AVX2 "Haswell" and
# AVX-512 "SkylakeX" give other axes for the README's seed). The documented numbers were made with
# the Haswell kernels, so every target selects them on x86-64 (set OPENBLAS_CORETYPE to override).
ifeq ($(shell uname -m),x86_64)
export OPENBLAS_CORETYPE ?= Haswell
endif

.PHONY: demo test results docs lint system-deps clean

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

# every number of docs/results.md and docs/universality.md, from the current code: the evaluate
# report, the three universality reports (the study, and the paper's settings for the static models
# and for seven languages), then the generated blocks of the two pages and the universality figures
# (~2.5 h on 2 cores with nothing cached; encodings and fits are cached for the next run)
UNIVERSAL ?= universal-report
PAPER_STATIC ?= universal-paper-static-report
PAPER_LANGUAGES ?= universal-paper-languages-report
docs: results
	$(VENV)/bin/icaxes universal configs/universal.toml -o $(UNIVERSAL)
	$(VENV)/bin/icaxes universal configs/universal-paper-static.toml -o $(PAPER_STATIC)
	$(VENV)/bin/icaxes universal configs/universal-paper-languages.toml -o $(PAPER_LANGUAGES)
	$(PY) scripts/regenerate-docs.py --results $(RESULTS) --universal $(UNIVERSAL) \
		--paper-static $(PAPER_STATIC) --paper-languages $(PAPER_LANGUAGES)

test: system-deps $(VENV)/.stamp-test
	$(VENV)/bin/ruff check src tests benchmarks
	$(PY) -m pytest

clean:
	rm -rf $(VENV) $(REPORT) .pytest_cache
