# The one place commands are spelled out. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV    := .venv
PY      := $(VENV)/bin/python
RASA    := $(VENV)/bin/rasa
STAMP   := $(VENV)/.installed
export PYTHONPATH := $(CURDIR)
export TF_CPP_MIN_LOG_LEVEL := 3
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# the 15 slowest tests are listed at the end of every run
PYTEST  := $(PY) -m pytest --durations=15

.PHONY: help install lock model run lint test test-fast validate nlu-eval conversations-eval bench clean

help:
	@echo "make run       install if needed, train if data changed, start everything (Ctrl-C stops)"
	@echo "make test      install if needed, lint, then run the whole test suite"
	@echo "make test-fast the tests not marked slow (no model training, no servers)"
	@echo "make lint      ruff check + mypy (configured in pyproject.toml)"
	@echo "make install   create .venv (CPython 3.10) from requirements.lock"
	@echo "make model     train the model if data, config, domain or ja_nlu changed"
	@echo "make validate  rasa data validate (warnings fail)"
	@echo "make nlu-eval  held-out NLU evaluation (tests/nlu) -> reports/nlu/"
	@echo "make conversations-eval  the persona conversation suite (tests/conversations) -> reports/conversations/latest.md"
	@echo "make bench     benchmarks (bench/; the Rasa side-by-side with the stock bot takes ~15 min)"
	@echo "make lock      re-resolve requirements.in into requirements.lock"

install: $(STAMP)
	@# web widget (web/): socket.io-client 4 pinned by web/package-lock.json, served from
	@# web/node_modules (no CDN). Runs only when the lock file is newer than the last install.
	@if [ ! -f web/node_modules/.package-lock.json ] || [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
	  command -v npm >/dev/null || { echo "npm が見つかりません。ウェブチャットに Node.js と npm が必要です（例: apt-get install nodejs npm）"; exit 1; }; \
	  echo "installing the web widget's socket.io client (npm ci --prefix web)…"; \
	  npm ci --prefix web --no-audit --no-fund --loglevel=error && touch web/node_modules/.package-lock.json || exit 1; \
	fi

# Reinstall only when the lock file changes: a second `make install` takes seconds.
$(STAMP): requirements.lock
	@PY310=$$(scripts/find_python.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then \
	  echo "creating $(VENV) with $$PY310"; rm -rf $(VENV); "$$PY310" -m venv $(VENV) || exit 1; \
	fi
	@echo "installing pinned dependencies (first time: about 3 minutes)…"
	@$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	@$(PY) -m pip check >/dev/null || { $(PY) -m pip check; exit 1; }
	@touch $(STAMP)

lock: $(VENV)
	$(PY) -m pip install --quiet -r requirements.in
	@{ echo "# Exact versions installed by \`make install\` (CPython 3.10). Regenerate with \`make lock\`."; \
	  $(PY) -m pip freeze --all --exclude-editable | sort -f; } > requirements.lock

model: install
	@$(PY) -m runner.model

run: install
	@$(PY) -m runner

validate: install
	$(RASA) data validate --fail-on-warnings

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test: install lint
	$(PYTEST)

test-fast: install
	$(PYTEST) -m "not slow"

nlu-eval: install
	$(PY) -m bench.nlu_eval

# ARGS="--url http://127.0.0.1:5005 --token $$RASA_AUTH_TOKEN" uses a running `make run`
conversations-eval: install
	$(PY) -m tests.conversations $(ARGS)

bench: install
	$(PY) bench/bench_recalculate.py
	$(PY) -m bench.tokenizer_compare
	$(PY) -m bench.console_bench --conversations 20000
	$(PY) -m bench.rasa_bench

clean:
	rm -rf models var/runtime var/log .pytest_cache
