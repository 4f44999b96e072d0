"""The deployment files: the Dockerfile passes hadolint (shipped in its wheel) and keeps the promises the docs
(docs/team.md) make of it; compose's replicas are the proxy's upstreams."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Final

DEPLOY: Final = Path(__file__).parents[1] / "deploy"
HADOLINT: Final = Path(sys.executable).with_name("hadolint")


def test_the_dockerfile_passes_hadolint() -> None:
    linted = subprocess.run([str(HADOLINT), str(DEPLOY / "Dockerfile")], capture_output=True, text=True, check=False)
    assert (linted.returncode, linted.stdout) == (0, "")


def test_the_image_is_slim_non_root_locked_and_checks_its_health() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^FROM (\S+)", dockerfile, re.MULTILINE)
    assert bases
    assert all(base.endswith("-slim-bookworm") for base in bases)
    assert re.search(r"^USER (?!0|root)\S+", dockerfile, re.MULTILINE)
    assert "uv sync --frozen --no-dev" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n.*/health", dockerfile, re.MULTILINE)


def test_every_sync_in_the_image_installs_the_team_extra() -> None:
    """Replicas share Redis and serve /metrics: both come with the team extra, not with the default install."""
    syncs = re.findall(r"^RUN uv sync .*$", (DEPLOY / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE)
    assert len(syncs) == 2
    assert all("--extra team" in sync for sync in syncs)


def test_the_proxy_spreads_over_both_compose_replicas_and_every_replica_uses_redis() -> None:
    compose = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    caddy = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    services = re.findall(r"^  (replica-\d+): \*replica$", compose, re.MULTILINE)
    assert services == ["replica-1", "replica-2"]
    assert re.findall(r"(replica-\d+):8000", caddy) == services
    assert "TOKEN_COUNTER_REDIS_URL: redis://redis:6379/0" in compose


def test_the_example_identity_provider_issues_tokens_the_replicas_accept() -> None:
    """compose.oauth.yaml's replicas name the realm's issuer, and the realm puts their public URL in ``aud``."""
    overlay = (DEPLOY / "compose.oauth.yaml").read_text(encoding="utf-8")
    realm = json.loads((DEPLOY / "keycloak" / "team-realm.json").read_text(encoding="utf-8"))
    issuer = re.search(r"TOKEN_COUNTER_OAUTH_ISSUER: (\S+)", overlay)
    public = re.search(r"TOKEN_COUNTER_PUBLIC_URL: (\S+)", overlay)
    assert issuer is not None
    assert public is not None
    hostname = re.search(r'--hostname=(\S+?)"', overlay)
    assert hostname is not None
    assert issuer[1] == f"{hostname[1]}/realms/{realm['realm']}"
    mappers = [m for scope in realm["clientScopes"] for m in scope["protocolMappers"]]
    audiences = [
        m["config"]["included.custom.audience"] for m in mappers if m["protocolMapper"] == "oidc-audience-mapper"
    ]
    assert audiences == [public[1]]
    assert {"oidc-sub-mapper"} <= {m["protocolMapper"] for m in mappers}  # the subject quotas and logs key on
    callbacks = realm["clients"][0]["redirectUris"]
    assert {"https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"} <= set(callbacks)
