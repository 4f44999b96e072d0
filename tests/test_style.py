"""House style the linters do not check: no function or method over 40 lines."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CHECKED = ("server", "bench", "scripts", "tests")
MAX_LINES = 40


def function_lengths(source: str) -> dict[str, int]:
    """Each function's and method's length in lines, from its ``def`` line to its last line (its decorators
    excluded, its docstring and comments included), by qualified name."""
    lengths: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = f"{prefix}{child.name}."
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                lengths[name[:-1]] = (child.end_lineno or child.lineno) - child.lineno + 1
            visit(child, name)

    visit(ast.parse(source), "")
    return lengths


def _sources() -> list[Path]:
    found = (path for folder in CHECKED for path in (ROOT / folder).rglob("*.py"))
    return sorted(path for path in found if "node_modules" not in path.parts)  # the npm tools' own Python


def test_every_function_is_at_most_40_lines() -> None:
    too_long = [
        f"{path.relative_to(ROOT)}:{name} ({lines} lines)"
        for path in _sources()
        for name, lines in function_lengths(path.read_text(encoding="utf-8")).items()
        if lines > MAX_LINES
    ]
    assert not too_long, f"functions over {MAX_LINES} lines: {too_long}"


def test_the_check_sees_methods_nested_functions_and_their_last_line() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(39))
    source = f"@decorator\nclass A:\n    async def m(self):\n    {body.replace(chr(10), chr(10) + '    ')}\n"
    source += f"def outer():\n    def inner():\n    {body.replace(chr(10), chr(10) + '    ')}\n"
    assert function_lengths(source) == {"A.m": 40, "outer": 41, "outer.inner": 40}


@pytest.mark.parametrize("folder", CHECKED)
def test_the_checked_folders_hold_python(folder: str) -> None:
    assert any((ROOT / folder).rglob("*.py")), f"{folder}/ has no Python: the length check would check nothing"
