"""The tool reference's hook (scripts/tool_reference.py): what it reports as wrong fails the strict build, so
each kind of problem is shown to be found. tests/test_docs_site.py checks the built page against tools/list."""

import copy
import tomllib
from typing import Any

from scripts.tool_reference import DESCRIPTIONS, filled_in, tool_references

from tests.mcpb_host import ROOT

PAGE = (ROOT / "docs" / "tools.md").read_text(encoding="utf-8")


def texts() -> dict[str, Any]:
    return tomllib.loads(DESCRIPTIONS.read_text(encoding="utf-8"))


def test_the_committed_page_and_descriptions_have_nothing_to_report() -> None:
    filled, problems = filled_in(PAGE, tool_references(texts()), texts())
    assert problems == []
    assert "<!-- tool-reference:" not in filled
    assert filled.count('<div class="tool-reference"') == 5


def test_a_field_without_a_description_and_a_description_of_no_field_are_reported() -> None:
    edited = copy.deepcopy(texts())
    del edited["tools"]["check_prompt_cache"]["arguments"]["repeats"]
    edited["tools"]["check_prompt_cache"]["arguments"]["repeat"] = "misspelt"
    edited["results"]["gone_field"] = "a field no tool returns any more"
    edited["tools"]["count_everything"] = {"arguments": {"model": "a tool the server does not have"}}
    _, problems = filled_in(PAGE, tool_references(edited), edited)
    assert sorted(problems) == sorted(
        [
            "scripts/tool_reference.toml: check_prompt_cache: argument repeats has no description",
            "scripts/tool_reference.toml: [tools.check_prompt_cache.arguments] repeat is no such field",
            "scripts/tool_reference.toml: [results] gone_field is no tool's field",
            "scripts/tool_reference.toml: [tools.count_everything] names no tool of the server",
            "scripts/tool_reference.toml: [tools.count_everything.arguments] model is no such field",
        ]
    )


def test_a_tool_without_its_marker_and_a_marker_of_no_tool_are_reported() -> None:
    page = PAGE.replace("<!-- tool-reference: count_files -->", "<!-- tool-reference: count_folders -->")
    filled, problems = filled_in(page, tool_references(texts()), texts())
    assert problems == [
        "tools.md has no '<!-- tool-reference: count_files -->' for the tool count_files",
        "tools.md marks a tool the server does not have: count_folders",
    ]
    assert 'data-tool="count_files"' not in filled


def test_the_facts_tools_list_leaves_out_are_on_the_page() -> None:
    """The compact tools/list drops defaults and ``minItems`` to save context; the page shows them."""
    filled, _ = filled_in(PAGE, tool_references(texts()), texts())
    start = filled.index('data-tool="count_tokens"')
    arguments = filled[start : filled.index("| Result field |", start)]
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in arguments.splitlines() if line.startswith("| `")}
    assert "| `false` |" in rows["`breakdown`"]
    assert "at least 1 item" in rows["`messages`"]
    assert "one of `user`, `assistant`, `system`" in rows["`messages[].role`"]
