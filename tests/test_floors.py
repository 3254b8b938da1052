"""The engine is built in floors: a module may import its own floor and the floors below, never above.

Every module under explorer/ is parsed (imports at the top and inside functions alike) and each import of
an explorer module is checked against the floors; streamlit is never imported by the engine.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "explorer"
FLOORS = ("data", "nn", "train", "introspect", "charts", "tasks", "server", "export")  # bottom to top


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def floor_of(module: str) -> int | None:
    """The floor of an explorer module (None for the package `explorer` itself)."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    if parts[1] not in FLOORS:
        raise AssertionError(f"{module} is on no floor: put it in one of {', '.join(FLOORS)}")
    return FLOORS.index(parts[1])


def imported(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """(line, module) for every import in the tree, relative ones resolved against `module`."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[:-node.level] if node.level else []
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
            if name == "explorer":  # from explorer import nn: the names are modules
                out += [(node.lineno, f"explorer.{alias.name}") for alias in node.names]
    return out


def upward_imports(source: str, module: str) -> list[str]:
    """Why `source` (the text of `module`) breaks the floors; empty when it keeps them."""
    mine = floor_of(module)
    problems = []
    for line, name in imported(ast.parse(source), module):
        top = name.split(".")[0]
        if top == "streamlit":
            problems.append(f"{module}:{line} imports streamlit")
        elif top == "explorer" and name != "explorer":
            theirs = floor_of(name)
            if mine is not None and theirs is not None and theirs > mine:
                problems.append(f"{module}:{line} ({FLOORS[mine]}) imports {name} ({FLOORS[theirs]}, a higher floor)")
    return problems


def modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def test_every_module_sits_on_a_floor():
    assert modules()
    for path in modules():
        floor_of(module_name(path))


@pytest.mark.parametrize("path", modules(), ids=lambda p: module_name(p))
def test_no_module_imports_a_higher_floor_or_streamlit(path):
    assert upward_imports(path.read_text(encoding="utf-8"), module_name(path)) == []


def test_the_check_sees_upward_imports_at_the_top_and_inside_functions():
    assert upward_imports("from explorer.server import settings\n", "explorer.data.imdb")
    assert upward_imports("def f():\n    from explorer.tasks.sentiment.run import fit\n", "explorer.nn.models")
    assert upward_imports("import explorer.charts.common\n", "explorer.train.training")
    assert upward_imports("from explorer import server\n", "explorer.nn.models")
    assert upward_imports("def f():\n    import streamlit as st\n", "explorer.tasks.lab.arch")
    assert not upward_imports("from explorer.data import imdb\nfrom explorer.nn import models\n", "explorer.nn.predict")
    assert not upward_imports("from explorer.tasks.lab.config import LabConfig\n", "explorer.export.lab_code")
