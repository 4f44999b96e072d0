"""The audit against hostile configs and servers: secrets in arguments, too many tools, repeated pages,
special files as configs, and SIGTERM."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Final

import pytest

from tests.test_audit import SCRIPT, audit, report_of, rows, write_config

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


HOSTILE: Final = Path(__file__).with_name("hostile_server.py")


def hostile(*args: str) -> dict[str, object]:
    return {"command": sys.executable, "args": [str(HOSTILE), *args]}


def test_a_repeated_cursor_ends_the_listing_and_repeated_tools_count_once(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"loop": hostile("repeat")})
    done = audit("--config", str(config), "--json", "--model", "claude-sonnet-4-6", env={})
    assert done.returncode == 0, done.stderr
    row = rows(report_of(done))["loop"]
    assert row["status"] == "ok"
    assert len(row["tools"]) == 10


def test_a_server_listing_too_much_json_is_a_failed_row(tmp_path: Path) -> None:
    config = write_config(tmp_path, {"big": hostile("big"), "small": hostile("many", "3", "s")})
    done = audit("--config", str(config), "--json", "--model", "claude-sonnet-4-6", env={})
    assert done.returncode == 0, done.stderr
    listed = rows(report_of(done))
    assert (listed["big"]["status"], listed["small"]["status"]) == ("failed", "ok")
    assert "MiB" in listed["big"]["reason"]


def test_more_tools_than_one_audit_prices_is_a_rows_reason(tmp_path: Path) -> None:
    """Past 2,000 tools in all, the whole audit ended with exit 1 and every good row was lost."""
    config = write_config(tmp_path, {"first": hostile("many", "1500", "a"), "second": hostile("many", "600", "b")})
    done = audit("--config", str(config), "--json", "--model", "claude-sonnet-4-6", env={})
    assert done.returncode == 0, done.stderr
    listed = rows(report_of(done))
    statuses = sorted(row["status"] for row in listed.values())
    assert statuses == ["failed", "ok"]
    (failed,) = [row for row in listed.values() if row["status"] == "failed"]
    assert "2,000-tool limit" in failed["reason"]


@pytest.mark.parametrize("kind", ["fifo", "device", "huge"])
def test_a_config_that_is_not_a_regular_file_of_sane_size_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "config.json"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path = Path("/dev/zero")
    else:
        with path.open("wb") as handle:
            handle.truncate(65 * 1024 * 1024)  # sparse: nothing is written
    done = audit("--config", str(path), env={})
    assert done.returncode == 2, done.stderr
    assert "cannot read" in done.stderr


def test_sigterm_ends_the_stdio_servers_the_audit_started(tmp_path: Path) -> None:
    """SIGINT already cleaned up; SIGTERM (a cancelled CI job) left the servers running."""
    pid_file = tmp_path / "server.pid"
    started = {"command": "/bin/sh", "args": ["-c", f'echo $$ > "{pid_file}"; exec /bin/sleep 300']}
    config = write_config(tmp_path, {"slow": started})
    argv = [str(SCRIPT), "audit", "--config", str(config), "--timeout", "200"]
    with subprocess.Popen(argv, env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        deadline = time.monotonic() + 60
        while not pid_file.exists() or not pid_file.read_text().strip():
            assert time.monotonic() < deadline, "the server never started"
            time.sleep(0.05)  # the pid file is written by the child: there is no event to await
        server_pid = int(pid_file.read_text())
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)
    assert proc.returncode == 143
    assert not alive(server_pid)


def alive(pid: int) -> bool:
    """Running, not gone or a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"
