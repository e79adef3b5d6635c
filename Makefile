# `make run` and `make test` set everything up themselves on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8080
STACK ?= dev

.PHONY: run test bench plan deploy tools setup clean

run: setup
	$(PY) -m ops local --stack $(STACK) --port $(PORT)

test: setup
	$(PY) -m ops test

bench: setup
	$(PY) -m ops bench

plan: setup
	$(PY) -m ops plan --stack $(STACK)

setup: $(VENV)/.installed tools

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $@

tools: .tools/.ok

.tools/.ok: ops/setup-tools.sh
	bash ops/setup-tools.sh

clean:
	rm -rf $(VENV) .tools .local .build .pytest_cache
