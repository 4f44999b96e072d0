"""Install weight (issue 25): what a fresh install of the built wheel downloads and occupies, and how fast and how
big its stdio server is once warm, against mcp-server-time and a bare ``mcp`` server installed the same way in
the same run.

    python -m bench.install_weight                              # this checkout's wheel
    python -m bench.install_weight --wheel main=/tmp/main.whl --wheel weight=dist/x.whl
    python -m bench.install_weight --without pypdf              # also each wheel with pypdf left out

Each subject gets a fresh venv on this interpreter, filled by ``uv pip install`` from an empty cache
(``UV_CACHE_DIR`` in a new temporary folder), so every wheel is fetched. uv unpacks wheels as they arrive and
keeps no archive, so the download figure is the resolved wheels fetched again by ``pip download --no-deps``
and summed (a local wheel counts its own size). Installed MB is the venv on disk right after the install,
before any start writes bytecode. ``--without PKG`` installs with an override that gives PKG a marker no
platform meets, so PKG and whatever only it needed (pypdf: nothing more) are left out: the projected figure
once the dependency is gone.

Warm start is the server's own CPU (user + system) from spawn to its tools/list answer, and idle RSS is its
resident memory then (after initialize and tools/list); both are medians over interleaved rounds after one
start that writes the bytecode. Ratios are against the bare server. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

from tests.wheels import build_wheel, run_uv, uv_env

from bench.procs import cpu_seconds
from bench.startup import handshake, start_server

TIME_SERVER: Final = "mcp-server-time==2026.10.19"
BARE_MCP: Final = "mcp>=2.3,<3"
# The bare server: one tool, nothing else imported (bench/bare_server.py imports this package, so not that one).
BARE_SERVER: Final = """from mcp.server import MCPServer

server = MCPServer("bare", log_level="WARNING")


@server.tool()
async def echo(value: int = 0) -> int:
    \"\"\"Return the value.\"\"\"
    return value


server.run("stdio")
"""
TARGETS: Final = {"download_mb": 15.0, "installed_mb": 60.0, "start_ratio": 1.25, "rss_ratio": 1.3}


@dataclass(frozen=True, slots=True)
class Subject:
    """One thing to install and start: a requirement, what to leave out, and its stdio command in the venv."""

    name: str
    requirement: str
    command: tuple[str, ...]  # the first item is a script in the venv's bin folder
    without: tuple[str, ...] = ()


@dataclass(slots=True)
class Weight:
    """One subject's figures."""

    name: str
    packages: int = 0
    download_mb: float = 0.0
    installed_mb: float = 0.0
    install_s: float = 0.0
    start_cpu_s: list[float] = field(default_factory=list[float])
    start_wall_s: list[float] = field(default_factory=list[float])
    idle_rss_mb: list[float] = field(default_factory=list[float])


def installed(subject: Subject, root: Path) -> tuple[Path, Weight]:
    """A fresh venv for ``subject`` under ``root``, filled from an empty uv cache; its folder and first figures."""
    venv = root / subject.name.replace(" ", "-")
    cache = tempfile.mkdtemp(prefix="uv-cache-", dir=root)
    env = uv_env(UV_CACHE_DIR=cache, UV_LINK_MODE="copy")
    run_uv("venv", "--quiet", str(venv), env=env)
    overrides = [f"{name} ; sys_platform == 'never'" for name in subject.without]
    args = ["pip", "install", "--quiet", "--python", str(venv), subject.requirement]
    if overrides:
        override_file = root / f"{venv.name}-overrides.txt"
        override_file.write_text("\n".join(overrides) + "\n", encoding="utf-8")
        args += ["--override", str(override_file)]
    started = time.perf_counter()
    run_uv(*args, env=env)
    weight = Weight(subject.name, install_s=round(time.perf_counter() - started, 1))
    weight.installed_mb = round(_disk_mb(venv), 1)
    pins = run_uv("pip", "freeze", "--python", str(venv), env=env).stdout.split()
    weight.packages = len([pin for pin in pins if "==" in pin or "@" in pin])
    weight.download_mb = round(_download_mb(pins, root / f"{venv.name}-wheels"), 1)
    shutil.rmtree(cache)  # hundreds of MB each; the venv was copied from it
    shutil.rmtree(root / f"{venv.name}-wheels")
    return venv, weight


def _disk_mb(folder: Path) -> float:
    done = subprocess.run(["du", "-sk", str(folder)], capture_output=True, text=True, check=True)
    return int(done.stdout.split()[0]) / 1024


def _download_mb(pins: list[str], folder: Path) -> float:
    """The wheels ``pins`` name, fetched into ``folder`` by pip, plus local wheels (``name @ file://``), in MB."""
    local = sum(Path(pin.split("file://", 1)[1]).stat().st_size for pin in pins if "file://" in pin)
    remote = [pin for pin in pins if "==" in pin]
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--dest", str(folder), *remote]  # fmt: skip
    subprocess.run(command, capture_output=True, text=True, check=True, timeout=1800)
    return (local + sum(path.stat().st_size for path in folder.iterdir())) / 1e6


def one_start(venv: Path, subject: Subject) -> tuple[float, float, float]:
    """(server CPU s, wall s, RSS MB) from spawn to the tools/list answer, once."""
    command = [str(venv / "bin" / subject.command[0]), *subject.command[1:]]
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(venv)}
    started = time.perf_counter()
    process = start_server(command, env)
    try:
        handshake(process)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(process.pid)
        rss = _rss_mb(process.pid)
    finally:
        process.kill()
        process.wait()
    return cpu, wall, rss


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise KeyError("VmRSS")


def warm_starts(venvs: dict[str, tuple[Path, Subject]], weights: dict[str, Weight], rounds: int) -> None:
    """One start each to write bytecode, then ``rounds`` rounds, the subjects in turn within each round."""
    for venv, subject in venvs.values():
        one_start(venv, subject)
    for _ in range(rounds):
        for name, (venv, subject) in venvs.items():
            cpu, wall, rss = one_start(venv, subject)
            weights[name].start_cpu_s.append(cpu)
            weights[name].start_wall_s.append(wall)
            weights[name].idle_rss_mb.append(rss)


def subjects(wheels: dict[str, Path], without: list[str], root: Path) -> list[Subject]:
    """Each wheel (and each with ``without`` left out), mcp-server-time, and the bare server last."""
    bare = root / "bare_server.py"
    bare.write_text(BARE_SERVER, encoding="utf-8")
    ours: list[Subject] = []
    for label, wheel in wheels.items():
        ours.append(Subject(label, str(wheel), ("mcp-token-counter",)))
        if without:
            ours.append(Subject(f"{label} without {'+'.join(without)}", str(wheel), ("mcp-token-counter",),
                                tuple(without)))  # fmt: skip
    time_server = Subject("mcp-server-time", TIME_SERVER, ("mcp-server-time",))
    return [*ours, time_server, Subject("bare mcp", BARE_MCP, ("python", str(bare)))]


def summary(weights: dict[str, Weight]) -> list[dict[str, float | int | str]]:
    """One row per subject: medians, and ratios against the bare server."""
    bare = weights["bare mcp"]
    bare_cpu, bare_rss = statistics.median(bare.start_cpu_s), statistics.median(bare.idle_rss_mb)
    rows: list[dict[str, float | int | str]] = []
    for weight in weights.values():
        cpu, rss = statistics.median(weight.start_cpu_s), statistics.median(weight.idle_rss_mb)
        rows.append({
            "subject": weight.name, "packages": weight.packages, "download_mb": weight.download_mb,
            "installed_mb": weight.installed_mb, "install_s": weight.install_s,
            "start_cpu_s": round(cpu, 3), "start_wall_s": round(statistics.median(weight.start_wall_s), 3),
            "idle_rss_mb": round(rss, 1), "start_ratio": round(cpu / bare_cpu, 2),
            "rss_ratio": round(rss / bare_rss, 2),
        })  # fmt: skip
    return rows


def print_rows(rows: list[dict[str, float | int | str]]) -> None:
    """The table, with the issue's targets marked on each row of ours."""
    columns = ("packages", "download_mb", "installed_mb", "install_s", "start_cpu_s", "idle_rss_mb",
               "start_ratio", "rss_ratio")  # fmt: skip
    print(f"{'subject':<34}" + "".join(f"{c:>13}" for c in columns))
    for row in rows:
        print(f"{row['subject']!s:<34}" + "".join(f"{row[c]!s:>13}" for c in columns))
    print("targets: " + ", ".join(f"{k} <= {v:g}" for k, v in TARGETS.items()) + " (ratios against bare mcp)")
    for row in rows:
        if str(row["subject"]) in ("mcp-server-time", "bare mcp"):
            continue
        missed = [key for key, limit in TARGETS.items() if float(row[key]) > limit]
        print(f"  {row['subject']}: " + ("every target met" if not missed else f"over: {', '.join(missed)}"))


def main() -> None:
    """Measure, print the table, and write the figures as JSON if asked."""
    parser = argparse.ArgumentParser(prog="python -m bench.install_weight", description="Install weight (issue 25).")
    parser.add_argument("--wheel", action="append", default=[], metavar="LABEL=PATH", help="a wheel to measure")
    parser.add_argument("--without", action="append", default=[], metavar="PKG", help="also measure without PKG")
    parser.add_argument("--rounds", type=int, default=7, help="warm starts per subject (default 7)")
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="install-weight-") as temp:
        root = Path(temp)
        wheels = {label: Path(path).resolve() for label, path in (w.split("=", 1) for w in args.wheel)}
        wheels = wheels or {"this checkout": build_wheel(root / "dist")}
        venvs: dict[str, tuple[Path, Subject]] = {}
        weights: dict[str, Weight] = {}
        for subject in subjects(wheels, args.without, root):
            venv, weights[subject.name] = installed(subject, root)
            venvs[subject.name] = (venv, subject)
        warm_starts(venvs, weights, args.rounds)
        rows = summary(weights)
        print_rows(rows)  # before the venvs are deleted, which takes a while
        sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "raw": [asdict(w) for w in weights.values()]}, indent=2) + "\n")


if __name__ == "__main__":
    main()
