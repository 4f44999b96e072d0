# pyright: reportUnknownMemberType=false
# (matplotlib annotates its **kwargs as untyped; every call here passes plain values)
"""The PNG chart: wall time against concurrency for ours, the SDK doing our job and its floor, beside the ideal."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and CI

import matplotlib.pyplot as plt


def sweep_chart(sweep: dict[str, list[dict[str, float]]], path: Path, *, bound: int, latency_ms: float) -> None:
    """Plot measured wall times and the ideal against the number of simultaneous calls."""
    ours, job = sweep["ours"], sweep["sdk_upstream"]
    levels = [row["concurrency"] for row in ours]
    figure, axes = plt.subplots(figsize=(7, 4.2), dpi=110)
    axes.plot(levels, [row["wall_s"] for row in ours], marker="o", label="ours: count_tokens over streamable HTTP")
    axes.plot(
        levels,
        [row["wall_s"] for row in job],
        marker="s",
        label="baseline: bare MCPServer tool, one httpx2 POST",
    )
    axes.plot(
        levels,
        [row["wall_s"] for row in sweep["sdk_floor"]],
        marker="^",
        label="SDK floor: bare MCPServer tool that only waits as long",
    )
    axes.plot(
        levels,
        [row["ideal_s"] for row in ours],
        linestyle="--",
        marker=".",
        label=f"ideal: ceil(N / {bound}) x {latency_ms:g} ms upstream",
    )
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xlabel("simultaneous calls")
    axes.set_ylabel("wall time (s)")
    axes.set_title("Concurrency sweep against the loopback stand-in")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
