# Everything a fresh clone needs is installed by these targets into .venv/ and tests/node_modules/.
UV_VERSION := 0.13.9
VENV := .venv
UV := $(VENV)/bin/uv

.PHONY: setup browser run test test-fast lint bench bundle clean

setup: $(VENV)/.synced

# uv itself lives in the project venv, so nothing is installed outside the repository.
$(VENV)/.synced: pyproject.toml uv.lock
	@test -x $(UV) || { py=$$(.ci/find-python) && "$$py" -m venv $(VENV) && \
		$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"; }
	UV_PROJECT_ENVIRONMENT=$(VENV) $(UV) sync --frozen --inexact --quiet --python $(VENV)/bin/python
	@touch $@

run: setup
	$(VENV)/bin/mcp-token-counter $(ARGS)

# Debian's chromium, which the browser tests of the context view drive through Playwright.
browser:
	.ci/chromium

# Every test: Python unit and integration tests, then the Node-based ecosystem checks.
test: setup browser
	.ci/test

lint: setup
	$(VENV)/bin/ruff check server tests bench
	$(VENV)/bin/ruff format --check server tests bench
	$(VENV)/bin/pyright

bench: setup
	$(VENV)/bin/python -m bench

# The Claude Desktop bundle (MCPB), packed by the pinned mcpb on Node 22 from tests/node_modules.
bundle: setup
	$(VENV)/bin/python tests/nodetools.py mcpb pack . dist/mcp-token-counter.mcpb

clean:
	rm -rf $(VENV) tests/node_modules .pytest_cache .ruff_cache
