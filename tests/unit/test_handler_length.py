"""Thin handlers (issue 21, "Shape"): no function in bot/routers is longer than 20 body lines.

Body lines: the lines from the first statement after the docstring to the function's end, blank
lines and comment-only lines not counted. Run this file with `-s` to see the longest ones.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROUTERS = Path(__file__).resolve().parents[2] / "bot" / "routers"
MAX_BODY_LINES = 20


def body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> int:
    body = node.body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return 0
    counted = lines[body[0].lineno - 1 : node.end_lineno]
    return sum(1 for line in counted if line.strip() and not line.strip().startswith("#"))


def function_lengths(root: Path = ROUTERS) -> list[tuple[int, str]]:
    """(body lines, "path:line name") of every function and method below `root`, longest first."""
    found = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.append((body_lines(node, lines), f"{path.relative_to(root.parents[1])}:{node.lineno} {node.name}"))
    return sorted(found, reverse=True)


def test_the_count_sees_long_functions(tmp_path: Path) -> None:
    (tmp_path / "long.py").write_text(
        'def long():\n    """Doc."""\n' + "".join(f"    x{i} = {i}\n\n    # comment\n" for i in range(21)) + "\n\ndef short():\n    return 1\n"
    )
    assert [(n, name.split(" ")[1]) for n, name in function_lengths(tmp_path)] == [(21, "long"), (1, "short")]


def test_no_function_in_bot_routers_is_over_20_body_lines() -> None:
    lengths = function_lengths()
    assert len(lengths) > 100  # the routers were read
    print(f"\nlongest functions in bot/routers: {lengths[:5]}")
    too_long = [f"{name}: {n}" for n, name in lengths if n > MAX_BODY_LINES]
    assert not too_long, f"over {MAX_BODY_LINES} body lines: {too_long}"


@pytest.mark.parametrize("name", ["recordings", "notices", "feedback", "reports", "reminders", "meetings", "resolutions"])
def test_the_big_routers_are_packages_of_small_parts(name: str) -> None:
    assert (ROUTERS / name / "__init__.py").is_file()
