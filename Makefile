# Everything a fresh clone needs is installed by these targets into .venv/, tests/node_modules/ and
# packaging/node_modules/.
UV_VERSION := 0.13.9
VENV := .venv
UV := $(VENV)/bin/uv
# The compiled offline engine's sources: a change rebuilds the editable install (uv's cache-keys say the same).
ENGINE := setup.py server/mcp_token_counter/offline/compiled/_engine.pyx
SYNC := UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --quiet --python $(VENV)/bin/python

# Python caches compiled modules as usual here. An environment with PYTHONDONTWRITEBYTECODE set (this project's
# CI machine has it) makes each of the test suite's few hundred Python processes compile every module it imports
# again: about 0.5 s of CPU per server start, and 2 s of each pytest worker's collection.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup setup-runtime browser node-tools run test check lint bench bundle bundle-stage dist clean

# uv itself lives in the project venv, so nothing is installed outside the repository.
$(UV):
	@py=$$(.ci/find-python) && "$$py" -m venv $(VENV) && \
		$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# The server and its runtime dependencies only (what `make run` needs).
setup-runtime: $(VENV)/.runtime
$(VENV)/.runtime: pyproject.toml uv.lock $(ENGINE) | $(UV)
	$(SYNC) --no-dev
	@touch $@

# The runtime plus the dev and test tools (ruff, pyright, pytest, ...). The compiled offline engine must build
# here: a failed compile fails the set-up instead of leaving the tests on the pure-Python path.
setup: $(VENV)/.synced
$(VENV)/.synced: pyproject.toml uv.lock $(ENGINE) | $(UV)
	TOKEN_COUNTER_REQUIRE_EXTENSION=1 $(SYNC)
	@touch $@ $(VENV)/.runtime

run: setup-runtime
	$(VENV)/bin/mcp-token-counter $(ARGS)

# Debian's chromium, which the browser tests of the context view drive through Playwright.
browser:
	.ci/chromium

# The Node tools the ecosystem tests drive (Node 22, the Inspector, the conformance suite, mcpb, oidc-provider):
# npm ci into tests/node_modules from tests/package-lock.json, by a script that needs only the standard library.
node-tools:
	@py=$$(.ci/find-python) && "$$py" tests/nodetools.py install

# Every test: Python unit and integration tests, then the Node-based ecosystem checks. The venv, the browser
# and the Node tools are set up side by side (npm downloads while uv and the C compiler work), then .ci/test.
test:
	@$(MAKE) --no-print-directory -j3 setup browser node-tools
	.ci/test

# The inner loop, within a minute: lint, types and the unit tier (the modules tests/conftest.py names in
# UNIT_MODULES: no process, server or browser). `make test` runs all of it and the rest.
# pyright and the unit tier run side by side, one core each; either failing fails the target.
check: setup
	$(VENV)/bin/ruff check server tests bench scripts
	$(VENV)/bin/ruff format --check server tests bench scripts
	@$(VENV)/bin/pyright & types=$$!; \
		$(VENV)/bin/pytest -m unit -q -p no:cacheprovider; tests=$$?; \
		wait $$types; types=$$?; test $$tests -eq 0 && test $$types -eq 0

lint: setup
	$(VENV)/bin/ruff check server tests bench scripts
	$(VENV)/bin/ruff format --check server tests bench scripts
	$(VENV)/bin/pyright

bench: setup
	$(VENV)/bin/python -m bench

# The wheel and sdist, built by uv's build front end into dist/.
dist: | $(UV)
	$(UV) build --quiet --out-dir dist

# The Claude Desktop bundle (MCPB), packed by the pinned mcpb alone (packaging/), on the system's Node.
bundle:
	@command -v npm >/dev/null 2>&1 || { echo "make bundle: npm is missing; install Node.js 18+ with npm (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	@test -x packaging/node_modules/.bin/mcpb || npm ci --prefix packaging --ignore-scripts --no-audit --no-fund --loglevel=error
	@$(MAKE) --no-print-directory bundle-stage
	packaging/node_modules/.bin/mcpb pack $(BUNDLE_STAGE) dist/mcp-token-counter.mcpb

# What the bundle holds, laid out in $(BUNDLE_STAGE): the manifest, the licence and the icon from the repository,
# and packaging/bundle/ (the project pinning the released wheel, its entry point, the allowlist). No source:
# the host's uv installs the platform wheel. The tests pack the same layout (tests/test_bundle.py).
BUNDLE_STAGE ?= dist/bundle
ICON := server/mcp_token_counter/data/icon.png
bundle-stage:
	rm -rf $(BUNDLE_STAGE)
	mkdir -p $(BUNDLE_STAGE)/$(dir $(ICON))
	cp manifest.json LICENSE packaging/bundle/pyproject.toml packaging/bundle/main.py packaging/bundle/.mcpbignore $(BUNDLE_STAGE)/
	cp $(ICON) $(BUNDLE_STAGE)/$(ICON)

clean:
	rm -rf $(VENV) tests/node_modules packaging/node_modules .pytest_cache .ruff_cache dist
