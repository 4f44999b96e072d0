"""The context-window view in a real browser: real counts made through the MCP client, offline and against the
stand-in, sent by a test host over the MCP Apps messages, and the picture checked against the numbers."""

import base64
import io
import json
import subprocess
import sys
from collections.abc import AsyncGenerator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Final

import anyio
import pytest
from mcp import Client
from mcp.client.extension import advertise
from PIL import Image
from playwright.sync_api import Browser

from mcp_token_counter.catalog import builtin_catalog
from mcp_token_counter.view.page import VIEW_URI, standalone_page
from tests.browser import Hosted, Theme, host_view, open_page
from tests.standin import Standin
from tests.support import env_for, server_for

APPS: Final = advertise("io.modelcontextprotocol/ui", {"mimeTypes": ["text/html;profile=mcp-app"]})
WIDTHS: Final = (400, 1000)
THEMES: Final[tuple[Theme, Theme]] = ("light", "dark")
DOCS: Final = Path(__file__).parents[1] / "docs"


def _png(width: int, height: int) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _text(words: int) -> str:
    return " ".join(f"word{i}" for i in range(words))


IMAGE: Final = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": _png(400, 300)}}
# Five turns (a turn starts at a user message that is not only tool results); turn 4 is the largest.
MESSAGES: Final[list[dict[str, Any]]] = [
    {"role": "user", "content": "Plan a trip to Kyoto."},
    {"role": "assistant", "content": _text(40)},
    {"role": "user", "content": [{"type": "text", "text": "What is in this photo?"}, IMAGE]},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"q": "x"}}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": _text(30)}]},
    {"role": "assistant", "content": "A temple garden."},
    {"role": "user", "content": "Tell me more."},
    {"role": "assistant", "content": _text(60)},
    {"role": "user", "content": _text(400)},
    {"role": "assistant", "content": _text(20)},
    {"role": "user", "content": "Thanks!"},
]
TURN_OF: Final = [0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4]
REQUEST: Final[dict[str, Any]] = {
    "model": "claude-sonnet-4-6",
    "system": "You are a travel planner. " + _text(80),
    "tools": [
        {
            "name": "lookup",
            "description": "Look a place up",
            "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}},
        }
    ],
    "messages": MESSAGES,
}


class Counted:
    """A real tool call: its name, arguments and the CallToolResult in wire form, as a host would send it."""

    def __init__(self, tool: str, arguments: dict[str, Any], wire: dict[str, Any]) -> None:
        self.tool = tool
        self.arguments = arguments
        self.wire = wire

    @property
    def data(self) -> dict[str, Any]:
        return self.wire["structuredContent"]


@asynccontextmanager
async def _apps_client(env: dict[str, str]) -> AsyncGenerator[Client]:
    async with Client(server_for(env), extensions=[APPS]) as client:
        yield client


def call(env: dict[str, str], tool: str, arguments: dict[str, Any]) -> Counted:
    """Make the call through an in-memory MCP client that negotiates Apps."""

    async def run() -> Counted:
        async with _apps_client(env) as client:
            result = await client.call_tool(tool, arguments)
        assert not result.is_error, result
        return Counted(tool, arguments, result.model_dump(by_alias=True, exclude_none=True, mode="json"))

    return _run(run)


def _run[T](fn: Callable[[], Awaitable[T]]) -> T:
    """Run ``fn`` on an event loop of its own thread: Playwright's sync API keeps one in this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(anyio.run, fn).result()


@pytest.fixture(scope="module")
def view_html() -> str:
    async def read() -> str:
        async with _apps_client({}) as client:
            contents = (await client.read_resource(VIEW_URI)).contents[0]
        text = getattr(contents, "text", None)
        assert isinstance(text, str)
        return text

    return _run(read)


@pytest.fixture(scope="module")
def counts(_anthropic_standin_server: Standin, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Counted]:
    """Every kind of result the view draws, each from a real call."""
    api = env_for(_anthropic_standin_server)
    project = tmp_path_factory.mktemp("project")
    (project / "big.md").write_text(_text(900), encoding="utf-8")
    (project / "small.txt").write_text(_text(50), encoding="utf-8")
    (project / "notes.md").write_text(_text(200), encoding="utf-8")
    (project / "one.py").write_text("print('x')\n", encoding="utf-8")
    (project / "two.py").write_text("x = 1\n" * 30, encoding="utf-8")
    return {
        "count": call({}, "count_tokens", REQUEST),
        "breakdown": call({}, "count_tokens", {**REQUEST, "breakdown": True}),
        "fit": call(api, "check_context_fit", {**REQUEST, "max_tokens": 4096, "breakdown": True}),
        "over": call(api, "check_context_fit", {**REQUEST, "max_tokens": 500, "context_window": 1200}),
        "picture": call(
            api, "check_context_fit", {**REQUEST, "max_tokens": 1024, "context_window": 4000, "breakdown": True}
        ),
        "files": call(
            {"TOKEN_COUNTER_ALLOWED_DIRS": str(project)},
            "count_files",
            {"paths": [str(project)], "model": "claude-sonnet-4-6"},
        ),
    }


def show(browser: Browser, html: str, counted: Counted, width: int, theme: Theme = "light") -> Hosted:
    hosted = host_view(
        browser, html, width, theme=theme, tool=counted.tool, arguments=counted.arguments, result=counted.wire
    )
    hosted.page.wait_for_function("host.sent('ui/notifications/initialized').length > 0")
    hosted.view.wait_for_function("document.body.dataset.tool !== undefined")
    return hosted


SCRAPE: Final = """() => {
  const bar = document.getElementById('bar');
  const overflow = document.getElementById('overflow');
  return {
    title: document.getElementById('title').textContent,
    meta: document.getElementById('meta').textContent,
    status: document.getElementById('status').textContent,
    danger: document.getElementById('status').classList.contains('danger'),
    over: document.body.dataset.over,
    barWidth: bar.clientWidth,
    segs: [...bar.children].map(s => ({kind: s.dataset.kind, tokens: Number(s.dataset.tokens),
      width: s.getBoundingClientRect().width, label: s.getAttribute('aria-label'), tab: s.tabIndex,
      colour: getComputedStyle(s).backgroundColor + getComputedStyle(s).backgroundImage})),
    rows: [...document.querySelectorAll('#rows tr')].map(r => ({kind: r.dataset.kind,
      tokens: r.querySelector('.tokens').textContent})),
    swatches: [...document.querySelectorAll('#rows .swatch')].map(s => getComputedStyle(s).backgroundColor
      + getComputedStyle(s).backgroundImage),
    zoomShown: !document.getElementById('zoom-wrap').hidden, zoomWidth: document.getElementById('zoom').clientWidth,
    zoom: [...document.getElementById('zoom').children].map(s => ({kind: s.dataset.kind,
      tokens: Number(s.dataset.tokens), width: s.getBoundingClientRect().width})),
    overflowShown: !overflow.hidden, overflowWidth: overflow.getBoundingClientRect().width,
    button: !document.getElementById('breakdown').hidden,
    background: getComputedStyle(document.body).backgroundColor,
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
  };
}"""


def scrape(hosted: Hosted) -> dict[str, Any]:
    return hosted.view.evaluate(SCRAPE)


def _input_kinds(segs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in segs if s["kind"] not in ("reserve", "free")]


def _reserve(data: dict[str, Any]) -> int:
    if "reserved_output_tokens" in data:
        return data["reserved_output_tokens"]
    if "remaining_tokens" in data:
        return data["context_window"] - data["input_tokens"] - data["remaining_tokens"]
    return 0


def assert_numbers_match(shown: dict[str, Any], data: dict[str, Any], window: int) -> None:
    """What the view shows equals the structured content: segments, table, header."""
    inputs = _input_kinds(shown["segs"])
    assert sum(s["tokens"] for s in inputs) == data["input_tokens"]
    assert f"{data['input_tokens']:,}" in shown["title"]
    assert data["model"] in shown["meta"]
    assert ("exact" if data["source"] == "api" else "estimate") in shown["meta"]
    by_kind = {s["kind"]: s["tokens"] for s in shown["segs"]}
    assert by_kind.get("reserve", 0) == _reserve(data)
    assert by_kind.get("free", 0) == max(0, window - data["input_tokens"] - _reserve(data))
    # The table holds the same numbers as the bar, in the same order, then the window.
    assert [r["tokens"] for r in shown["rows"] if r["kind"] not in ("over", "window")] == [
        f"{s['tokens']:,}" for s in shown["segs"]
    ]
    assert shown["rows"][-1] == {"kind": "window", "tokens": f"{window:,}"}
    if "estimated_input_cost_usd" in data:
        assert f"${data['estimated_input_cost_usd']:.4f}" in shown["meta"]


def assert_sizes_follow_shares(shown: dict[str, Any], scale: int) -> None:
    """Each segment's width is its share of the bar (the larger of window and demand), 2 px at least."""
    for seg in shown["segs"]:
        expected = max(2.0, shown["barWidth"] * seg["tokens"] / scale)
        assert abs(seg["width"] - expected) <= 1.0, (seg, expected)


def assert_zoom(shown: dict[str, Any], used: int, scale: int) -> None:
    """A used part of several segments under a quarter of the bar is drawn again alone, each part at its
    share of it."""
    drawn = [s for s in shown["segs"] if s["kind"] != "free"]
    assert shown["zoomShown"] == (len(drawn) > 1 and used / scale < 0.25)
    if shown["zoomShown"]:
        assert [(z["kind"], z["tokens"]) for z in shown["zoom"]] == [
            (s["kind"], s["tokens"]) for s in shown["segs"] if s["kind"] != "free"
        ]
        for part in shown["zoom"]:
            assert abs(part["width"] - max(2.0, shown["zoomWidth"] * part["tokens"] / used)) <= 1.0, part


def _window(counted: Counted) -> int:
    data = counted.data
    return data.get("context_window") or 1_000_000  # claude-sonnet-4-6's window in the model table


def _parts_by_group(breakdown: dict[str, int]) -> dict[str, int]:
    groups: dict[str, int] = {"system": 0, "tools": 0, "media": 0, "messages": 0, "other": 0}
    for name, tokens in breakdown.items():
        if name in ("system", "tools"):
            groups[name] += tokens
        elif ".content[" in name:
            groups["media"] += tokens
        elif name.startswith("messages["):
            groups["messages"] += tokens
        else:
            groups["other"] += tokens
    return groups


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("case", ["count", "breakdown", "fit", "picture", "files"])
def test_the_view_draws_every_count_with_its_numbers(
    browser: Browser, view_html: str, counts: dict[str, Counted], case: str, width: int, theme: Theme
) -> None:
    """count, fit, breakdown and count_files: the numbers shown equal the structured content and each
    segment's width follows its share of the window, in both themes, at 400 and 1000 px."""
    counted = counts[case]
    hosted = show(browser, view_html, counted, width, theme)
    shown = scrape(hosted)
    window = _window(counted)
    assert_numbers_match(shown, counted.data, window)
    used = counted.data["input_tokens"] + _reserve(counted.data)
    assert_sizes_follow_shares(shown, max(window, used))
    assert_zoom(shown, used, max(window, used))
    assert shown["over"] == "false"
    assert not shown["danger"]
    assert not shown["overflowShown"]
    assert shown["scrollWidth"] <= shown["clientWidth"]
    assert hosted.requests == []
    hosted.page.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_breakdown_segments_are_the_parts_grouped_by_kind_and_turn(
    browser: Browser, view_html: str, counts: dict[str, Counted], width: int, theme: Theme
) -> None:
    """System, tools, images and the message turns each sum the breakdown's parts of that kind; the three
    largest turns stand apart and the others share one segment."""
    for case in ("breakdown", "fit"):
        data = counts[case].data
        hosted = show(browser, view_html, counts[case], width, theme)
        shown = scrape(hosted)
        groups = _parts_by_group(data["breakdown"])
        by_kind: dict[str, int] = {}
        for seg in shown["segs"]:
            by_kind[seg["kind"]] = by_kind.get(seg["kind"], 0) + seg["tokens"]
        assert by_kind["system"] == groups["system"]
        assert by_kind["tools"] == groups["tools"]
        assert by_kind["media"] == groups["media"] > 0
        assert by_kind.get("other", 0) == groups["other"]
        turns = _turn_tokens(data["breakdown"])
        largest = sorted(turns, key=turns.__getitem__, reverse=True)[:3]
        apart = {s["label"].split(":")[0]: s["tokens"] for s in shown["segs"] if s["kind"] == "turn"}
        assert apart == {f"turn {t + 1}": turns[t] for t in sorted(largest)}
        (merged,) = [s for s in shown["segs"] if s["kind"] == "turns"]
        assert merged["tokens"] == sum(tokens for t, tokens in turns.items() if t not in largest)
        assert merged["label"].startswith(f"{len(turns) - 3} other turns")
        assert shown["swatches"] == [seg["colour"] for seg in shown["segs"]]  # the table is the legend
        assert len({seg["colour"] for seg in shown["segs"]}) >= 8
        hosted.page.close()


def _turn_tokens(breakdown: dict[str, int]) -> dict[int, int]:
    """Tokens per turn: each message part added to the turn of its message (TURN_OF), images left out."""
    turns: dict[int, int] = {}
    for name, tokens in breakdown.items():
        if name.startswith("messages[") and ".content[" not in name:
            index = int(name[len("messages[") : -1])
            turns[TURN_OF[index]] = turns.get(TURN_OF[index], 0) + tokens
    return turns


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_over_the_window_shows_the_overflow_and_what_to_cut(
    browser: Browser, view_html: str, counts: dict[str, Counted], width: int, theme: Theme
) -> None:
    counted = counts["over"]
    data = counted.data
    assert not data["fits"]
    hosted = show(browser, view_html, counted, width, theme)
    shown = scrape(hosted)
    demand = data["input_tokens"] + data["reserved_output_tokens"]
    over = demand - data["context_window"]
    assert shown["over"] == "true"
    assert shown["danger"]
    assert f"Over the window by {over:,} tokens" in shown["status"]
    assert f"cut at least {over + data.get('uncertainty_tokens', 0):,} tokens" in shown["status"]
    assert shown["overflowShown"]
    assert abs(shown["overflowWidth"] - shown["barWidth"] * over / demand) <= 2.0
    assert {"kind": "over", "tokens": f"{over:,}"} in shown["rows"]
    assert "free" not in {s["kind"] for s in shown["segs"]}
    assert_numbers_match(shown, data, data["context_window"])
    assert_sizes_follow_shares(shown, demand)
    colour = hosted.view.evaluate("getComputedStyle(document.getElementById('status')).color")
    assert _rgb(colour)[0] > _rgb(colour)[2]  # the danger colour is red in both themes
    hosted.page.close()


def test_an_estimate_that_may_not_fit_says_how_much_to_cut(browser: Browser, view_html: str) -> None:
    """Offline, within the window but not once the estimate's uncertainty is added: a warning, no overflow."""
    first = call({}, "check_context_fit", {**REQUEST, "max_tokens": 500}).data
    window = first["input_tokens"] + 500 + first["uncertainty_tokens"] // 2
    counted = call({}, "check_context_fit", {**REQUEST, "max_tokens": 500, "context_window": window})
    data = counted.data
    assert not data["fits"]
    assert data["remaining_tokens"] >= 0
    hosted = show(browser, view_html, counted, 400)
    shown = scrape(hosted)
    assert shown["danger"]
    assert not shown["overflowShown"]
    cut = data["uncertainty_tokens"] - data["remaining_tokens"]
    assert f"May not fit: the estimate could be {data['uncertainty_tokens']:,} higher" in shown["status"]
    assert f"cut at least {cut:,} tokens" in shown["status"]
    assert_numbers_match(shown, data, window)
    hosted.page.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_breakdown_button_asks_the_host_to_run_the_count_again(
    browser: Browser, view_html: str, counts: dict[str, Counted], width: int, theme: Theme
) -> None:
    """Without a breakdown: one total segment and a button; the button sends tools/call for the same count
    with breakdown true, and the real answer to that call is drawn."""
    counted = counts["count"]
    hosted = show(browser, view_html, counted, width, theme)
    shown = scrape(hosted)
    assert [s["kind"] for s in shown["segs"]] == ["total", "free"]
    assert shown["button"]
    hosted.view.get_by_role("button", name="Show the breakdown").click()
    hosted.page.wait_for_function("host.sent('tools/call').length > 0")
    (sent,) = hosted.sent("tools/call")
    assert sent["params"] == {"name": "count_tokens", "arguments": {**REQUEST, "breakdown": True}}
    answer = call({}, sent["params"]["name"], sent["params"]["arguments"])
    hosted.page.evaluate("([id, result]) => host.reply(id, result)", [sent["id"], answer.wire])
    hosted.view.wait_for_function("document.querySelector('#bar [data-kind=system]') !== null")
    shown = scrape(hosted)
    assert_numbers_match(shown, answer.data, _window(answer))
    assert not shown["button"]
    hosted.page.close()


def test_the_view_speaks_the_apps_handshake_and_follows_the_host(
    browser: Browser, view_html: str, counts: dict[str, Counted]
) -> None:
    """ui/initialize first, then initialized; size-changed from the ResizeObserver; the theme follows
    host-context-changed; tool-cancelled is shown; a teardown request is answered."""
    hosted = show(browser, view_html, counts["fit"], 1000, "light")
    first = hosted.page.evaluate("host.received[0]")
    assert first["method"] == "ui/initialize"
    assert first["params"]["protocolVersion"] == "2026-01-26"
    assert [m.get("method") for m in hosted.page.evaluate("host.received")][:2] == [
        "ui/initialize",
        "ui/notifications/initialized",
    ]
    hosted.page.wait_for_function("host.sent('ui/notifications/size-changed').length > 0")
    size = hosted.sent("ui/notifications/size-changed")[-1]["params"]
    assert size["width"] > 900
    assert size["height"] > 100
    light = _rgb(scrape(hosted)["background"])
    hosted.page.evaluate("host.notify('ui/notifications/host-context-changed', {theme: 'dark'})")
    hosted.view.wait_for_function("document.documentElement.dataset.theme === 'dark'")
    dark = _rgb(scrape(hosted)["background"])
    assert sum(light) > 600
    assert sum(dark) < 150
    hosted.page.evaluate("host.notify('ui/notifications/host-context-changed', {displayMode: 'fullscreen'})")
    hosted.view.wait_for_function("document.getElementById('bar').clientHeight > 40")
    hosted.page.evaluate("host.notify('ui/notifications/tool-cancelled', {reason: 'user stopped it'})")
    hosted.view.wait_for_function("document.body.dataset.cancelled === 'true'")
    assert "cancelled: user stopped it" in scrape(hosted)["status"]
    hosted.page.evaluate(
        "frame().postMessage({jsonrpc: '2.0', id: 99, method: 'ui/resource-teardown', params: {}}, '*')"
    )
    hosted.page.wait_for_function("host.received.some(m => m.id === 99)")
    assert [m for m in hosted.page.evaluate("host.received") if m.get("id") == 99] == [
        {"jsonrpc": "2.0", "id": 99, "result": {}}
    ]
    hosted.page.close()


def test_every_segment_is_reachable_by_keyboard_and_read_as_a_table(
    browser: Browser, view_html: str, counts: dict[str, Counted]
) -> None:
    """Tab visits each segment in order and shows its detail; a captioned table holds the same numbers."""
    hosted = show(browser, view_html, counts["fit"], 1000)
    shown = scrape(hosted)
    hosted.view.locator("#bar .seg").first.focus()
    for seg in shown["segs"]:
        focused = hosted.view.evaluate("document.activeElement.getAttribute('aria-label')")
        assert focused == seg["label"]
        assert hosted.view.locator("#detail").text_content() == seg["label"]
        hosted.page.keyboard.press("Tab")
    assert all(seg["tab"] == 0 for seg in shown["segs"])
    assert hosted.view.locator("#numbers caption").text_content() == "Tokens per part"
    assert hosted.view.locator("#numbers th[scope=col]").count() == 3
    hosted.page.close()


def test_text_stays_readable_at_360_px(browser: Browser, view_html: str, counts: dict[str, Counted]) -> None:
    """Nothing is wider than a 360 px screen and the text stays at least 12 px."""
    hosted = show(browser, view_html, counts["fit"], 360)
    shown = scrape(hosted)
    assert shown["scrollWidth"] <= shown["clientWidth"] == 360
    smallest = hosted.view.evaluate(
        "Math.min(...[...document.querySelectorAll('h1, p, td, th, span')].filter(e => e.textContent.trim())"
        ".map(e => parseFloat(getComputedStyle(e).fontSize)))"
    )
    assert smallest >= 12
    hosted.page.close()


def test_the_resource_is_one_small_document_that_loads_nothing(view_html: str) -> None:
    assert len(view_html.encode("utf-8")) < 60_000
    for reference in ("http://", "https://", "src=", "@import", "url(", "@font-face"):
        assert reference not in view_html


def test_the_standalone_page_draws_the_same_numbers_without_a_host(browser: Browser, tmp_path: Path) -> None:
    """The CLI's pages for count and count-files: the numbers equal the CLI's own JSON of the same run, with
    no host and no request; the page holds the request's shape, not its text."""
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST), encoding="utf-8")
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.md").write_text(_text(300), encoding="utf-8")
    (tmp_path / "files" / "b.md").write_text(_text(30), encoding="utf-8")
    runs = (
        (["count", str(request), "--breakdown"], "count_tokens"),
        (["count-files", str(tmp_path / "files"), "--context-window", "3000", "--max-tokens", "500"], "count_files"),
    )
    for args, tool in runs:
        page, data = _cli_page(tmp_path, args)
        html = page.read_text(encoding="utf-8")
        assert "word299" not in html  # no text of the request or the files
        hosted = open_page(browser, 1000)
        hosted.page.set_content(html)
        hosted.page.wait_for_function("document.body.dataset.tool !== undefined")
        shown = hosted.page.evaluate(SCRAPE)
        assert hosted.page.evaluate("document.body.dataset.tool") == tool
        window = data.get("context_window", 1_000_000)
        assert_numbers_match(shown, data, window)
        assert_sizes_follow_shares(shown, max(window, data["input_tokens"] + _reserve(data)))
        assert not shown["button"]
        assert hosted.requests == []
        hosted.page.close()


def test_names_with_markup_are_shown_as_text(browser: Browser, tmp_path: Path) -> None:
    """A file and a model named like markup are drawn under their names: the page's embedded JSON cannot
    close its element, and no name becomes an element."""
    name = "<img src=x onerror=alert(1)>.md"
    (tmp_path / name).write_text(_text(40), encoding="utf-8")
    files = call(
        {"TOKEN_COUNTER_ALLOWED_DIRS": str(tmp_path)},
        "count_files",
        {"paths": [str(tmp_path)], "model": "claude-sonnet-4-6"},
    )
    model = "claude-x</script><img src=x onerror=alert(1)>"
    count = call({}, "count_tokens", {"model": model, "messages": [{"role": "user", "content": "Hi"}]})
    assert list(files.data["files"]) == [name]
    assert count.data["model"] == model
    for counted, shown_name in ((files, name), (count, model)):
        html = standalone_page(counted.tool, counted.arguments, counted.data, builtin_catalog())
        hosted = open_page(browser, 1000)
        hosted.page.set_content(html)
        hosted.page.wait_for_function("document.body.dataset.tool !== undefined")
        shown = hosted.page.evaluate(SCRAPE)
        assert shown_name in shown["segs"][0]["label"] + shown["meta"]
        assert hosted.page.locator("img").count() == 0
        assert hosted.requests == []
        hosted.page.close()


def _cli_page(tmp_path: Path, args: list[str]) -> tuple[Path, dict[str, Any]]:
    page = tmp_path / "view.html"
    out = subprocess.run(
        [str(Path(sys.executable).with_name("mcp-token-counter")), *args, "--json", "--html", str(page)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
        timeout=60,
    )
    return page, json.loads(out.stdout)


def test_screenshots_of_both_themes(browser: Browser, view_html: str, counts: dict[str, Counted]) -> None:
    """Light and dark pictures of a fit with its breakdown (in a 4,000-token window, so every part shows),
    saved in docs/ for the README."""
    pictures: dict[str, bytes] = {}
    for theme in THEMES:
        hosted = show(browser, view_html, counts["picture"], 720, theme)
        hosted.page.wait_for_function("host.sent('ui/notifications/size-changed').length > 0")
        pictures[theme] = hosted.page.locator("#view").screenshot(path=str(DOCS / f"context-view-{theme}.png"))
        hosted.page.close()
    assert all(picture.startswith(b"\x89PNG") for picture in pictures.values())
    assert pictures["light"] != pictures["dark"]


def _rgb(colour: str) -> tuple[int, int, int]:
    parts = colour[colour.index("(") + 1 : colour.index(")")].split(",")
    return int(parts[0]), int(parts[1]), int(parts[2])


# check_prompt_cache: a tools breakpoint under the 1,024 minimum, then a system and a message breakpoint over it.
CACHED_REQUEST: Final[dict[str, Any]] = {
    "model": "claude-sonnet-4-6",
    "tools": [{**REQUEST["tools"][0], "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    "system": [{"type": "text", "text": _text(1200), "cache_control": {"type": "ephemeral", "ttl": "1h"}}],
    "messages": [
        {"role": "user", "content": [{"type": "text", "text": _text(300), "cache_control": {"type": "ephemeral"}}]},
        {"role": "assistant", "content": _text(40)},
        {"role": "user", "content": "And now?"},
    ],
}

MARKS: Final = """(bar) => [...document.querySelectorAll(bar + ' .mark')].map(m => ({
  tokens: Number(m.dataset.tokens), cached: m.dataset.cached === 'true', place: m.dataset.place,
  left: m.getBoundingClientRect().left + m.getBoundingClientRect().width / 2 - document.querySelector(bar)
    .getBoundingClientRect().left - document.querySelector(bar).clientLeft,
  colour: getComputedStyle(m).backgroundColor, label: m.getAttribute('aria-label')}))"""


def _assert_marks_at_their_prefixes(hosted: Hosted, data: dict[str, Any], shown: dict[str, Any]) -> None:
    """On the bar and on the enlarged used part: one mark per breakpoint, where its prefix's tokens end."""
    for bar, scale, width_px in (
        ("#bar", 1_000_000, shown["barWidth"]),
        ("#zoom", data["input_tokens"], shown["zoomWidth"]),
    ):
        marks = hosted.view.evaluate(MARKS, bar)
        assert [(m["place"], m["tokens"], m["cached"]) for m in marks] == [
            (p["place"], p["prefix_tokens"], p["cached"]) for p in data["breakpoints"]
        ]
        for mark in marks:
            assert abs(mark["left"] - width_px * mark["tokens"] / scale) <= 1.5, (bar, mark)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_cache_view_shades_the_cached_prefix_and_marks_each_breakpoint(
    browser: Browser, view_html: str, standin: Standin, width: int, theme: Theme
) -> None:
    """The bar is the cached prefix (shaded) then the rest; each breakpoint is a mark at its prefix's tokens on
    the bar and on the enlarged used part, red when it will not be cached; the table lists the breakpoints."""
    counted = call(env_for(standin), "check_prompt_cache", {"request": CACHED_REQUEST})
    data = counted.data
    assert [p["cached"] for p in data["breakpoints"]] == [False, True, True]
    hosted = show(browser, view_html, counted, width, theme)
    shown = scrape(hosted)
    shown["segs"] = [s for s in shown["segs"] if s["kind"]]  # the bar's children: segments, then the marks
    cached = max(p["prefix_tokens"] for p in data["breakpoints"] if p["cached"])
    assert [(s["kind"], s["tokens"]) for s in shown["segs"]] == [
        ("cached", cached),
        ("uncached", data["input_tokens"] - cached),
        ("free", 1_000_000 - data["input_tokens"]),
    ]
    assert "repeating-linear-gradient" in shown["segs"][0]["colour"]  # shaded, in both themes
    assert "claude-sonnet-4-6" in shown["meta"]
    assert "exact" in shown["meta"]
    assert shown["danger"]
    assert shown["status"].startswith("1 of 3 breakpoints will not be cached: tools[0] breakpoint:")
    _assert_marks_at_their_prefixes(hosted, data, shown)
    marks = hosted.view.evaluate(MARKS, "#bar")
    missed, kept = _rgb(marks[0]["colour"]), _rgb(marks[1]["colour"])
    assert missed[0] > missed[2] + 60  # red where it will not be cached
    background = _rgb(shown["background"])
    assert abs(sum(kept) - sum(background)) > 300  # a kept mark stands out from the page in either theme
    assert marks[0]["label"].startswith("breakpoint tools[0] (1h):")
    assert "will NOT be cached" in marks[0]["label"]
    rows = hosted.view.evaluate(
        "[...document.querySelectorAll('#point-rows tr')].map(r => [...r.children].map(c => c.textContent))"
    )
    assert rows == [
        [p["place"], p["ttl"], f"{p['prefix_tokens']:,}", "yes" if p["cached"] else "no", "\u2013"]
        for p in data["breakpoints"]
    ]
    hosted.page.close()


def test_the_cache_page_from_the_cli_draws_without_a_host(browser: Browser, tmp_path: Path) -> None:
    """``cache --html``: every breakpoint cached, the status says so, one mark per breakpoint, no request."""
    request = {**CACHED_REQUEST, "tools": REQUEST["tools"]}  # the tools breakpoint, under the minimum, goes
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    page, data = _cli_page(tmp_path, ["cache", str(path)])
    html = page.read_text(encoding="utf-8")
    assert "word1199" not in html
    hosted = open_page(browser, 1000, theme="dark")
    hosted.page.set_content(html)
    hosted.page.wait_for_function("document.body.dataset.tool !== undefined")
    assert hosted.page.evaluate("document.body.dataset.tool") == "check_prompt_cache"
    shown = hosted.page.evaluate(SCRAPE)
    assert shown["status"].startswith("Cached. All 2 breakpoints will be cached")
    assert "claude-sonnet-4-6" in shown["meta"]
    assert "estimate" in shown["meta"]
    marks = hosted.page.evaluate(MARKS, "#bar")
    assert [m["tokens"] for m in marks] == [p["prefix_tokens"] for p in data["breakpoints"]]
    assert hosted.requests == []
    hosted.page.close()
