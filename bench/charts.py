"""The performance page's charts: ``python -m bench.charts`` draws docs/charts/*.svg from bench/figures.toml.

Hand-written SVG, not a plotting library: horizontal bars with their values written beside them are a few
rectangles and lines, and writing them keeps the output byte-for-byte the same on every machine, so a test can
check that the committed charts are what the figures draw (tests/test_bench_charts.py). Each chart is one
opaque card whose colours follow the reader's light or dark scheme (``prefers-color-scheme``), so it reads on
either theme of the site, on GitHub, or opened alone; its ``<title>`` and ``<desc>`` say what it shows in words.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import escape

TIMES: Final = "\N{MULTIPLICATION SIGN}"
DASH: Final = "\N{EN DASH}"
FIGURES: Final = Path(__file__).with_name("figures.toml")
CHARTS: Final = Path(__file__).parent.parent / "docs" / "charts"

WIDTH: Final = 680  # the site's content column at a desktop width: drawn at 1:1, the text stays 12.5 px
LABEL_X: Final = 16
BAR_X: Final = 280  # the bars start here; the labels are at their left
BAR_END: Final = WIDTH - 96  # and end here at the most; each value is written after its bar
ROW: Final = 24
BAR: Final = 14
FONT: Final = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
STYLE: Final = """
.card { fill: #ffffff; stroke: #d0d7de; }
text { fill: #1f2328; font-size: 12.5px; }
.title { font-size: 15px; font-weight: 600; }
.panel { font-weight: 600; }
.muted { fill: #59636e; font-size: 11.5px; }
.grid { stroke: #d0d7de; }
.axis { stroke: #59636e; }
.target { stroke: #cf222e; stroke-dasharray: 4 3; }
.target-text { fill: #cf222e; font-size: 11.5px; }
.ours { fill: #0969da; } .python { fill: #1a7f37; } .before { fill: #bc4c00; } .peer { fill: #6e7781; }
.range { opacity: 0.45; }
.halo { paint-order: stroke; stroke: #ffffff; stroke-width: 4px; stroke-linejoin: round; }
@media (prefers-color-scheme: dark) {
  .card { fill: #161b22; stroke: #3d444d; }
  text { fill: #e6edf3; }
  .muted { fill: #9198a1; }
  .grid { stroke: #3d444d; }
  .axis { stroke: #9198a1; }
  .target { stroke: #f85149; }
  .target-text { fill: #f85149; }
  .ours { fill: #4493f8; } .python { fill: #3fb950; } .before { fill: #f0883e; } .peer { fill: #8b949e; }
  .halo { stroke: #161b22; }
}
"""


@dataclass(frozen=True)
class Bar:
    """One recorded figure, or a range of them (several runs or texts): ``low`` to ``high``."""

    label: str
    low: float
    high: float
    shown: str  # the value as the page writes it
    tone: str


@dataclass(frozen=True)
class Panel:
    """Bars on one scale: from 0 (``log_from`` None) or logarithmic from ``log_from`` to ``top``."""

    title: str
    bars: tuple[Bar, ...]
    top: float
    unit: str
    target: tuple[float, str] | None = None
    log_from: float | None = None


@dataclass(frozen=True)
class Chart:
    name: str
    title: str
    notes: tuple[str, ...]  # lines under the title: how the figures were taken, and which way is better
    panels: tuple[Panel, ...]


def load(path: Path = FIGURES) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def figure(value: str | list[str], unit: str) -> tuple[float, float, str]:
    """A recorded figure or range as numbers, and as the chart writes it: 65 times, 63 to 65 times, 14.3 MB."""
    low, high = (value, value) if isinstance(value, str) else (value[0], value[1])
    text = low if low == high else f"{low}{DASH}{high}"
    return float(low), float(high), f"{text}{unit}"


def bars(rows: Sequence[dict[str, Any]], key: str, unit: str) -> tuple[Bar, ...]:
    return tuple(Bar(row["label"], *figure(row[key], unit), tone=row["tone"]) for row in rows)


def install_chart(data: dict[str, Any]) -> Chart:
    """Download, installed size, warm start and idle memory against the peers, with the release's targets."""
    targets = data["targets"]
    # The baseline's ratios are 1 by definition, so the figures do not record them.
    rows = [{"warm_start": "1", "idle_rss": "1", **row} if row.get("baseline") else row for row in data["rows"]]

    def panel(title: str, key: str, unit: str, top: float) -> Panel:
        goal = float(targets[key])
        return Panel(title, bars(rows, key, unit), top, unit, (goal, f"target ≤ {targets[key]}{unit}"))

    return Chart(
        "install-weight",
        "Install weight and start-up, against peers",
        (f"{data['run']}: a fresh venv from an empty cache, CPython 3.12, Linux x86_64.", "Shorter is better."),
        (
            panel("Download (resolved wheels)", "download_mb", " MB", 110),
            panel("Installed venv on disk", "installed_mb", " MB", 340),
            panel("Warm start, server CPU, against the bare mcp server", "warm_start", TIMES, 1.4),
            panel("Idle RSS after initialize, against the bare mcp server", "idle_rss", TIMES, 1.4),
        ),
    )


def offline_chart(engine: dict[str, Any], server: dict[str, Any]) -> Chart:
    """How many times faster than ``ctok.token_count`` on the same text, the engine alone and through the server."""
    return Chart(
        "offline-speed",
        "Offline counting, times faster than ctok.token_count",
        (
            f"{engine['run']}; {server['run']}.",
            "Each against ctok on the same real text in the same run. Longer is better.",
        ),
        (
            Panel(
                "The engine alone: 4 MB, cold first counts (CPU time)",
                bars(engine["rows"], "speedup", TIMES),
                70,
                TIMES,
                (float(engine["target"]), f"target ≥ {engine['target']}{TIMES}"),
            ),
            Panel(
                "count_tokens through the server over stdio: 0.91 MB (client's wall clock)",
                bars(server["rows"], "speedup", TIMES),
                70,
                TIMES,
                (float(server["target"]), f"target {server['target']}{TIMES} (first run)"),
            ),
        ),
    )


def linear_chart(data: dict[str, Any]) -> Chart:
    """Long runs of one kind of character, CPU time against ctok's on each text: the range over the texts."""
    return Chart(
        "linear-time",
        "Long runs of one character: CPU time against ctok's",
        (
            f"{data['run']}: 9 cases, each alone and after a word (18 texts).",
            "A bar spans the texts' ratios. Shorter is better.",
        ),
        (
            Panel(
                f"CPU time against ctok's on the same text (logarithmic scale; 1{TIMES} is ctok's time)",
                bars(data["rows"], "ratio", TIMES),
                100,
                TIMES,
                (float(data["target"]), f"target ≤ {data['target']}{TIMES}"),
                log_from=0.01,
            ),
        ),
    )


CHART_MAKERS: Final[tuple[Callable[[dict[str, Any]], Chart], ...]] = (
    lambda f: install_chart(f["install"]),
    lambda f: offline_chart(f["engine"], f["server"]),
    lambda f: linear_chart(f["linear"]),
)


def charts(figures: dict[str, Any]) -> list[Chart]:
    return [make(figures) for make in CHART_MAKERS]


def x_of(panel: Panel, value: float) -> float:
    """Where ``value`` falls on the panel's scale, in pixels."""
    width = BAR_END - BAR_X
    if panel.log_from is None:
        return BAR_X + width * value / panel.top
    span = math.log10(panel.top) - math.log10(panel.log_from)
    return BAR_X + width * (math.log10(value) - math.log10(panel.log_from)) / span


def px(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def text(x: float, y: float, content: str, css: str = "", anchor: str = "") -> str:
    attrs = f' class="{css}"' if css else ""
    attrs += f' text-anchor="{anchor}"' if anchor else ""
    return f'<text x="{px(x)}" y="{px(y)}"{attrs}>{escape(content)}</text>'


def bar_shapes(panel: Panel, bar: Bar, y: float) -> list[str]:
    """The bar: from 0 (or, on a log scale, from its low end) to its value; a range's spread drawn lighter."""
    top = y + (ROW - BAR) / 2
    start = x_of(panel, bar.low) if panel.log_from is not None else BAR_X
    solid_end = x_of(panel, bar.low) if panel.log_from is None else x_of(panel, bar.high)
    width = max(solid_end - start, 2)  # a bar too short to see is still drawn
    shapes = [f'<rect class="{bar.tone}" x="{px(start)}" y="{px(top)}" width="{px(width)}" height="{BAR}"/>']
    if panel.log_from is None and bar.high > bar.low:
        spread = x_of(panel, bar.high) - solid_end
        shapes.append(
            f'<rect class="{bar.tone} range" x="{px(solid_end)}" y="{px(top)}" width="{px(spread)}" height="{BAR}"/>'
        )
    end = max(solid_end, x_of(panel, bar.high))
    shapes.append(text(LABEL_X, y + ROW / 2 + 4, bar.label))
    shapes.append(text(end + 6, y + ROW / 2 + 4, bar.shown, "halo"))
    return shapes


def log_grid(panel: Panel, top: float, bottom: float) -> list[str]:
    """Lines and labels at each power of ten; the line at 1 (the baseline's own time) stronger."""
    assert panel.log_from is not None
    shapes: list[str] = []
    power = round(math.log10(panel.log_from))
    while 10.0**power <= panel.top * 1.0001:
        x = x_of(panel, 10.0**power)
        css = "axis" if power == 0 else "grid"
        shapes.append(f'<line class="{css}" x1="{px(x)}" y1="{px(top)}" x2="{px(x)}" y2="{px(bottom)}"/>')
        shapes.append(text(x, bottom + 14, f"{10.0**power:g}{panel.unit}", "muted", "middle"))
        power += 1
    return shapes


def target_line(panel: Panel, top: float, bottom: float) -> list[str]:
    if panel.target is None:
        return []
    x = x_of(panel, panel.target[0])
    return [
        f'<line class="target" x1="{px(x)}" y1="{px(top - 4)}" x2="{px(x)}" y2="{px(bottom)}"/>',
        text(x + 4, top - 6, panel.target[1], "target-text halo"),
    ]


def panel_shapes(panel: Panel, y: float) -> tuple[list[str], float]:
    """The panel's title, grid, target and rows from ``y`` down (the target's line under the bars, the values
    haloed over it); and where the next panel starts."""
    shapes = [text(LABEL_X, y + 14, panel.title, "panel")]
    rows_top = y + (40 if panel.target else 24)
    rows_bottom = rows_top + ROW * len(panel.bars)
    if panel.log_from is not None:
        shapes += log_grid(panel, rows_top, rows_bottom)
    shapes += target_line(panel, rows_top, rows_bottom)
    for i, bar in enumerate(panel.bars):
        shapes += bar_shapes(panel, bar, rows_top + ROW * i)
    return shapes, rows_bottom + (30 if panel.log_from is not None else 14)


def description(chart: Chart) -> str:
    """The chart in words, for a screen reader: every panel's figures."""
    parts = list(chart.notes)
    for panel in chart.panels:
        figures = "; ".join(f"{bar.label}: {bar.shown}" for bar in panel.bars)
        goal = f" ({panel.target[1]})" if panel.target else ""
        parts.append(f"{panel.title}{goal}: {figures}.")
    return " ".join(parts)


def svg(chart: Chart) -> str:
    """The chart as a standalone SVG document."""
    body = [text(LABEL_X, 28, chart.title, "title")]
    body += [text(LABEL_X, 47 + 15 * i, note, "muted") for i, note in enumerate(chart.notes)]
    y = 45.0 + 15 * len(chart.notes)
    for panel in chart.panels:
        shapes, y = panel_shapes(panel, y)
        body += shapes
    height = round(y + 8)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="title desc" font-family="{escape(FONT)}">'
    )
    return "\n".join(
        [
            head,
            f'<title id="title">{escape(chart.title)}</title>',
            f'<desc id="desc">{escape(description(chart))}</desc>',
            f"<style>{STYLE}</style>",
            f'<rect class="card" x="0.5" y="0.5" width="{WIDTH - 1}" height="{height - 1}" rx="8"/>',
            *body,
            "</svg>",
            "",
        ]
    )


def rendered(figures: dict[str, Any] | None = None) -> dict[str, str]:
    """Each chart's file name and SVG text, from ``figures`` (by default bench/figures.toml)."""
    return {f"{chart.name}.svg": svg(chart) for chart in charts(figures if figures is not None else load())}


def main() -> None:
    CHARTS.mkdir(parents=True, exist_ok=True)
    for name, document in rendered().items():
        (CHARTS / name).write_text(document, encoding="utf-8")
        print(f"wrote docs/charts/{name}")


if __name__ == "__main__":
    main()
