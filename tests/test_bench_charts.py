"""The performance page's charts (docs/charts/*.svg): what ``python -m bench.charts`` draws from the recorded
figures (bench/figures.toml), which are the figures the page's tables give; each chart is a well-formed SVG
with a title, embedded in the page with alt text."""

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any, Final

import pytest
from bench.charts import CHARTS, TIMES, load, rendered

from tests.mcpb_host import ROOT

SVG: Final = "{http://www.w3.org/2000/svg}"
PAGE: Final = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
NOT_FIGURES: Final = frozenset({"label", "tone", "baseline"})


def test_the_committed_charts_are_what_the_script_draws_from_the_figures() -> None:
    """Run ``python -m bench.charts`` after changing bench/figures.toml: the charts cannot drift from it."""
    drawn = rendered()
    assert sorted(path.name for path in CHARTS.glob("*.svg")) == sorted(drawn)
    stale = [name for name, svg in drawn.items() if (CHARTS / name).read_text(encoding="utf-8") != svg]
    assert stale == [], "run `.venv/bin/python -m bench.charts`"


def test_a_changed_figure_changes_its_chart() -> None:
    figures = copy.deepcopy(load())
    figures["engine"]["rows"][0]["speedup"] = "66.5"
    before, after = rendered(), rendered(figures)
    assert [name for name in before if before[name] != after[name]] == ["offline-speed.svg"]
    assert f"66.5{TIMES}" in after["offline-speed.svg"]
    assert f"66.5{TIMES}" not in before["offline-speed.svg"]


@pytest.mark.parametrize("name", sorted(rendered()))
def test_each_chart_is_well_formed_svg_with_a_title_and_a_description(name: str) -> None:
    root = ET.fromstring((CHARTS / name).read_text(encoding="utf-8"))
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "title desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None
    assert desc is not None
    assert title.get("id") == "title"
    assert desc.get("id") == "desc"
    assert (title.text or "").strip()
    assert (desc.text or "").strip()
    assert next(iter(root)) is title, "the title comes first, where a screen reader looks"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"


def test_each_chart_is_on_the_performance_page_with_alt_text() -> None:
    embedded = dict((target, alt) for alt, target in re.findall(r"!\[([^\]]*)\]\((charts/[^)]+\.svg)\)", PAGE))
    assert sorted(embedded) == sorted(f"charts/{name}" for name in rendered())
    assert all(len(alt) > 40 for alt in embedded.values()), embedded


def section(title: str) -> str:
    """The page's text under ``## title``; "Performance" is the text above the first ``##``."""
    if title == "Performance":
        return PAGE[: PAGE.index("\n## ")]
    start = PAGE.index(f"\n## {title}\n")
    end = PAGE.find("\n## ", start + 1)
    return PAGE[start : end if end != -1 else len(PAGE)]


def recorded(table: dict[str, Any]) -> Iterator[str]:
    """Every figure a table of bench/figures.toml records: its rows' figures and its targets."""
    for row in table["rows"]:
        for key, value in row.items():
            if key not in NOT_FIGURES:
                yield from [value] if isinstance(value, str) else value
    targets = table.get("targets", {"target": table.get("target")})
    yield from (value for value in targets.values() if value is not None)


@pytest.mark.parametrize("name", ["install", "engine", "server", "linear"])
def test_every_recorded_figure_is_written_in_its_section_of_the_page(name: str) -> None:
    """The charts' figures are the tables': one updated without the other fails."""
    table = load()[name]
    text = section(table["section"])
    missing = [f for f in recorded(table) if not re.search(rf"(?<![\d.]){re.escape(f)}(?![\d])", text)]
    assert missing == [], f"{name}: not in the section {table['section']!r} of docs/performance.md"
    assert table["run"].split(" [")[0] in text
