"""The docs stay true to the tree: every file they name exists, the README keeps its two commands and stays
short, and the design notes' module map names every module. Plain text checks: no TensorFlow, no app."""
from __future__ import annotations

import itertools
import re
from pathlib import Path

from conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_LINES = 160
QUICK_START = ["python3 dev.py app", "python3 dev.py test"]
MAPPED = ("explorer", "ui")  # every .py module under these is in docs/design.md's module map
SUFFIXES = (".py", ".md", ".toml", ".png")

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
PATHLIKE = re.compile(r"^[\w./*{},-]+$")  # no placeholders (<name>), no calls, no ellipses
HEADING = re.compile(r"^#{1,6}\s+(.*)$", re.M)


def _prose(text: str) -> str:
    """The text outside fenced code blocks (commands and code there are not file references)."""
    return FENCE.sub("", text)


def _braces(token: str) -> list[str]:
    """`tests/test_{a,b}.py` → both names (one level of braces, as the docs write them)."""
    m = re.search(r"\{([^{}]*)\}", token)
    if not m:
        return [token]
    return list(itertools.chain.from_iterable(
        _braces(token[:m.start()] + part + token[m.end():]) for part in m.group(1).split(",")))


def _looks_like_path(token: str) -> bool:
    name = token.rstrip("/").rsplit("/", 1)[-1]
    if "/" in token:
        return True
    # A bare file name; ".py" alone is a file type, not a file.
    return token.endswith(SUFFIXES) and not (name.startswith(".") and name.count(".") == 1)


def _in_repo(path: Path) -> bool:
    try:
        path.resolve().relative_to(ROOT.resolve())
        return True
    except ValueError:
        return False


def _anywhere(name: str) -> bool:
    """A bare file name (`model_code.py`, read in its section's context) names a file somewhere in the tree."""
    skip = {".git", ".venv", "__pycache__", "test-artifacts", "node_modules"}
    return any(not skip.intersection(p.relative_to(ROOT).parts) for p in ROOT.rglob(name))


def _exists(token: str, doc: Path, relative_to_doc: bool) -> bool | None:
    """Whether the path the doc names exists; None when it is not a repository path (home, env, outside)."""
    token = token.split("#", 1)[0]
    if not token or token.startswith(("~", "$", "/", "http:", "https:", "mailto:", ".venv/")):
        return None
    bases = [doc.parent] if relative_to_doc else [ROOT, doc.parent]
    for base in bases:
        target = base / token
        if not _in_repo(target):
            return None
        if any(ch in token for ch in "*?[") and list(base.glob(token)):
            return True
        if target.exists():
            return True
    return "/" not in token and _anywhere(token)


def named_paths(doc: Path) -> list[tuple[str, bool]]:
    """(path, named in a markdown link) for every file reference in the doc's prose."""
    text = _prose(doc.read_text(encoding="utf-8"))
    found = [(link, True) for link in LINK.findall(text)]
    for span in CODE.findall(text):
        for word in span.split():
            word = word.lstrip("(").rstrip(".,;:)")  # a leading dot belongs to the name (.ci/run)
            if PATHLIKE.match(word) and _looks_like_path(word):
                found += [(p, False) for p in _braces(word)]
    return found


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", text))


def test_every_file_the_docs_name_exists():
    missing = []
    for doc in DOCS:
        for token, is_link in named_paths(doc):
            if token.startswith("#") or not (is_link or _looks_like_path(token)):
                continue
            if _exists(token, doc, relative_to_doc=is_link) is False:
                missing.append(f"{doc.relative_to(ROOT)}: {token}")
    assert not missing, "The docs name files that do not exist:\n" + "\n".join(missing)


def test_every_link_to_a_heading_finds_it():
    broken = []
    for doc in DOCS:
        for token, is_link in named_paths(doc):
            if not is_link or "#" not in token or token.startswith(("http:", "https:")):
                continue
            path, anchor = token.split("#", 1)
            target = (doc.parent / path) if path else doc
            if target.suffix == ".md" and target.exists():
                slugs = {_slug(h) for h in HEADING.findall(_prose(target.read_text(encoding="utf-8")))}
                if anchor not in slugs:
                    broken.append(f"{doc.relative_to(ROOT)}: {token}")
    assert not broken, "Links to headings that do not exist:\n" + "\n".join(broken)


def test_the_checks_above_can_fail(tmp_path):
    """The path check is not vacuous: a made-up path in a doc is reported, a real one is not."""
    doc = ROOT / "docs" / "_probe.md"
    cases = {"`explorer/no_such_module.py`": False, "[x](no_such_page.md)": False, "`no_such_file.py`": False,
             "`explorer/nn/models.py`": True, "[x](design.md)": True, "`ui/`": True}
    for text, ok in cases.items():
        (tmp_path / "_probe.md").write_text(text, encoding="utf-8")
        [(token, is_link)] = named_paths(tmp_path / "_probe.md")
        assert _exists(token, doc, relative_to_doc=is_link) is ok, text


def test_readme_is_short_and_keeps_exactly_the_two_quick_start_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_MAX_LINES, f"README.md is over {README_MAX_LINES} lines: move detail to docs/"
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```bash\n(.*?)^```", section, re.S | re.M)
    assert block, "the Quick start has no ```bash block"
    commands = [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()]
    assert [c for c in commands if c] == QUICK_START


def test_the_quick_start_commands_are_the_ones_dev_py_has():
    source = (ROOT / "dev.py").read_text(encoding="utf-8")
    for command in QUICK_START:
        assert f'"{command.split()[-1]}": cmd_{command.split()[-1]}' in source, command


def test_the_module_map_names_every_module():
    text = (ROOT / "docs" / "design.md").read_text(encoding="utf-8")
    assert "## Module map" in text
    section = text.split("## Module map", 1)[1].split("\n## ", 1)[0]
    mapped = set(re.findall(r"^\| `([\w/]+\.py)` \|", section, re.M))  # the table's first column
    modules = {p.relative_to(ROOT).as_posix() for top in MAPPED for p in (ROOT / top).rglob("*.py")
               if p.name != "__init__.py" and "__pycache__" not in p.parts}
    modules |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")} | {"app.py"}
    assert not modules - mapped, f"docs/design.md's module map lacks: {sorted(modules - mapped)}"
    assert not mapped - modules - {"dev.py"}, f"the module map names modules that are gone: {sorted(mapped - modules)}"
