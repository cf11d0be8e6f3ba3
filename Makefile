# SatuPintu task runner. The README's contract: `make up` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
ROOT := $(abspath .)
STACK := deploy/local/stack.sh
SERVICES := deploy/local/services.sh
DEMO := deploy/local/demo.sh
# Simulated agencies and citizens run with `make up` unless SATUPINTU_DEMO=0.
SATUPINTU_DEMO ?= 1
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
STATE := $(or $(SATUPINTU_STATE_DIR),$(ROOT)/.state)
SECRETS := $(STATE)/secrets
# The platform's administration (topics, users, ACLs, catalog) authenticates as the admin tool.
ADMIN_ENV := KAFKA_SASL_USERNAME=satupintu-admin KAFKA_SASL_PASSWORD_FILE=$(SECRETS)/kafka/satupintu-admin SATUPINTU_SECRETS_DIR=$(SECRETS)
PYTEST_ARGS ?=

.PHONY: help deps up down test lint typecheck unit integration e2e bench logs status clean catalog

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

deps: ## Install uv (if missing) and the Python workspace from uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --all-packages --locked --quiet

up: deps ## Start Kafka, PostgreSQL, Jaeger and the services in the background; returns when healthy
	@$(STACK) up kafka postgres jaeger
	@$(ADMIN_ENV) $(UV) run --no-sync python -m satupintu_shared.admin
	@$(SERVICES) up
	@$(ADMIN_ENV) $(UV) run --no-sync satupintu catalog apply deploy/catalog/demo.yaml --quiet
	@# Each simulated agency connects with its own credentials, never printed: $(SECRETS)/agencies/<code>.json
	@if [ "$(SATUPINTU_DEMO)" != "0" ]; then \
	  $(ADMIN_ENV) $(UV) run --no-sync satupintu agency credentials save $(SECRETS)/agencies && $(DEMO) up; fi
	@echo
	@echo "SatuPintu is up:"
	@echo "  intake       http://127.0.0.1:8080  (API docs /docs, Open311 /open311/v2/discovery.json)"
	@echo "  routing      http://127.0.0.1:8081  (catalog /v1/catalog)"
	@echo "  performance  http://127.0.0.1:8082  (operator console /)"
	@echo "  jaeger       http://127.0.0.1:16686 (query API /api/traces)"
	@echo "  kafka        127.0.0.1:9092 (SASL/SCRAM-SHA-512), 127.0.0.1:9095 (SASL over TLS)"
	@echo "  postgres     postgresql://satupintu:satupintu@127.0.0.1:55432/satupintu"
	@echo "  secrets      $(SECRETS) (owner-only): operator-token, admin-token, kafka/<principal>, tls/ca.crt"
	@echo "               the CLI as the admin tool: eval \"\$$(deploy/local/stack.sh env)\""
	@if [ "$(SATUPINTU_DEMO)" != "0" ]; then echo "  demo traffic ~30 requests/minute (log .state/logs/demo.log; SATUPINTU_DEMO=0 make up leaves it out)"; fi

down: ## Stop the demo, the services and the infrastructure (data is kept)
	@$(DEMO) down
	@$(SERVICES) down
	@$(STACK) down

status: ## Show what runs
	@$(STACK) status
	@$(SERVICES) status
	@$(DEMO) status

logs: ## Tail every log
	@tail -n 50 -F .state/logs/*.log

clean: down ## Stop everything and delete local data (downloaded jars and the Jaeger build are kept)
	@$(STACK) clean
	@rm -rf .pytest_cache .mypy_cache .ruff_cache tests/bench/results

lint: deps ## ruff format check and lint
	@$(UV) run --no-sync ruff format --check .
	@$(UV) run --no-sync ruff check .

typecheck: deps ## mypy over the workspace
	@$(UV) run --no-sync mypy

test: deps ## Install and start what the tests need, then lint, type-check and run every test
	@$(STACK) up kafka postgres
	@$(ADMIN_ENV) $(UV) run --no-sync python -m satupintu_shared.admin
	@deploy/local/browser.sh
	@$(MAKE) --no-print-directory lint typecheck
	@$(ADMIN_ENV) $(UV) run --no-sync pytest $(PYTEST_ARGS)

bench: deps ## Run the benchmark; results in tests/bench/results/
	@$(STACK) up kafka postgres
	@$(ADMIN_ENV) $(UV) run --no-sync python -m satupintu_shared.admin
	@$(ADMIN_ENV) $(UV) run --no-sync python -m tests.bench $(BENCH_ARGS)
