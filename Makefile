# Everything a fresh machine needs: `make run` and `make test` create the virtualenv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test system lint typecheck unit synapse bench bench-pipeline evaluate clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# The daemon on the example configuration: drop a text file into ./inbox to see alerts.
run: $(STAMP)
	$(BIN)/watchd --config watchd.yaml check
	$(BIN)/watchd --config watchd.yaml run -v

test: system lint typecheck unit

# Debian packages the tests need (systemd-analyze, kill, mosquitto), installed if missing.
system:
	./tools/system-packages.sh

lint: $(STAMP)
	$(BIN)/ruff check watchd tests bench
	$(BIN)/ruff format --check watchd tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

# Synapse, the Matrix homeserver of tests/e2e/test_delivery_chat.py, in its own virtualenv
# (not a dependency of watchd). The test fixture makes it too when it is missing.
SYNAPSE := .cache/synapse-venv
$(SYNAPSE)/.installed:
	$(PYTHON) -m venv --clear $(SYNAPSE)
	$(SYNAPSE)/bin/pip install --quiet --disable-pip-version-check 'matrix-synapse>=1.100,<2'
	echo 'matrix-synapse>=1.100,<2' > $@

synapse: $(SYNAPSE)/.installed

bench: $(STAMP)
	$(BIN)/python bench/run.py

# The whole poll (read, match, store in SQLite) against the matcher alone; about 15 s.
bench-pipeline: $(STAMP)
	$(BIN)/python bench/pipeline.py

# Precision and recall of `A <verb> B` headlines on the labeled news sentences of
# ../shared/data/news (not shipped; see bench/eval/README.md). A few seconds.
evaluate: $(STAMP)
	$(BIN)/python bench/evaluate.py

clean:
	rm -rf $(VENV) build *.egg-info .cache
