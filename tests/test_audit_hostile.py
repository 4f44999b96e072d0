"""The audit against hostile configs and servers: secrets in arguments, too many tools, repeated pages,
special files as configs, and SIGTERM."""

import json
from pathlib import Path
from typing import Final

from tests.test_audit import audit, report_of, rows, write_config

PASSWORD: Final = "S3cret"  # shorter than the 8 characters other secrets need
TOKEN: Final = "gh_7x"


def echoing_failure(*args: str) -> dict[str, object]:
    """A stdio server that writes its arguments to stderr and exits before answering."""
    return {"command": "/bin/sh", "args": ["-c", 'echo "cannot start with $*" >&2; exit 1', "sh", *args]}


def test_secrets_in_a_failing_servers_arguments_are_masked(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        {
            "db": echoing_failure(f"postgresql://admin:{PASSWORD}@db.example:5432/app"),
            "gh": echoing_failure("--token", "${GH_TOKEN}"),
            "key": echoing_failure(f"--api-key={PASSWORD}x"),
        },
    )
    env = {"GH_TOKEN": TOKEN}
    as_json = audit("--config", str(config), "--json", "--model", "claude-sonnet-4-6", env=env)
    table = audit("--config", str(config), "--model", "claude-sonnet-4-6", env=env)
    report = rows(report_of(as_json))
    reasons = {name: str(report[name]["reason"]) for name in ("db", "gh", "key")}
    assert all("cannot start with" in reason for reason in reasons.values()), reasons
    for shown in (json.dumps(reasons), table.stdout):
        assert PASSWORD not in shown
        assert TOKEN not in shown
    assert "db.example" in reasons["db"]
    assert "--token ***" in reasons["gh"]
