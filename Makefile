# The two commands a user needs: `make run` and `make test`. Both set up
# everything they need from a fresh clone on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench clean system-deps node-deps

# Real servers and tools the tests use (valgrind: bench.instructions) come from
# Debian's packages, installed when missing (the tests start their own
# instances on free loopback ports).
# Each entry is command:debian-package.
SYSTEM_PACKAGES := redis-server:redis-server chromium:chromium node:nodejs npm:npm valgrind:valgrind

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[service,test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/eid up --host 127.0.0.1 --service-port 5000 --portal-port 5001 --office-port 5003

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check eid flask_eid service tests bench examples tools

typecheck: $(STAMP)
	$(BIN)/mypy eid flask_eid service

pytest: $(STAMP) system-deps node-deps
	$(BIN)/pytest

system-deps:
	@missing=""; \
	for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@# PostgreSQL: Debian keeps initdb and postgres off PATH, under /usr/lib/postgresql/<v>/bin.
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Installing Debian packages: postgresql"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null; \
	fi
	@# initdb and postgres refuse to run as root: the tests run them as this account.
	@if [ "$$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then \
	  useradd --system --user-group --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres; \
	fi

# The node packages the tests use (oidc-provider, openid-client, axe-core), exactly as the
# lockfile pins them; reinstalled when the lockfile is newer than the installed tree.
INTEROP := tests/interop
node-deps: $(INTEROP)/node_modules/.package-lock.json

$(INTEROP)/node_modules/.package-lock.json: $(INTEROP)/package-lock.json | system-deps
	cd $(INTEROP) && npm ci --no-audit --no-fund --loglevel=error

bench: $(STAMP)
	$(BIN)/python -m bench.verify
	$(BIN)/python -m bench.prefill
	$(BIN)/python -m bench.population
	$(BIN)/python -m bench.fapi
	$(BIN)/python -m bench.audit

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
