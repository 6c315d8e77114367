"""The layout keeps its promises: one disclosure module, no import circle, no private name
imported from another module, no page importing another page, no oversized module.

Run as a script for the figures of a tree (module sizes, long functions, circles):
    .venv/bin/python tests/test_architecture.py [ROOT]
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("hehu", "widgets")
DISCLOSURE = "hehu/disclosure.py"
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 80


def sources(root: Path = REPO) -> dict[str, Path]:
    """Module name -> file, for every module of the two packages."""
    out = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


def imports(name: str, path: Path, known: set[str]) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for each import of a module inside the packages."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            if target in known:
                out.append((target, names))
            for n in names:  # from hehu import vocab
                if f"{target}.{n}" in known:
                    out.append((f"{target}.{n}", []))
        elif isinstance(node, ast.Import):
            out += [(a.name, []) for a in node.names if a.name in known]
    return out


def import_graph(root: Path = REPO) -> dict[str, set[str]]:
    """Module -> the modules of the packages it imports."""
    modules = sources(root)
    known = set(modules)
    return {m: {t for t, _ in imports(m, p, known) if t != m} for m, p in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def private_imports(root: Path = REPO) -> list[str]:
    """'module: name from other' for every private name imported from another module."""
    modules = sources(root)
    known = set(modules)
    return [
        f"{m}: {n} from {t}"
        for m, p in modules.items()
        for t, names in imports(m, p, known)
        for n in names
        if n.startswith("_") and not n.startswith("__")
    ]


def long_functions(root: Path = REPO) -> list[tuple[str, int]]:
    """(module.function, lines) of functions over MAX_FUNCTION_LINES lines."""
    out = []
    for name, path in sources(root).items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    out.append((f"{name}.{node.name}", lines))
    return sorted(out, key=lambda x: -x[1])


def module_lines(root: Path = REPO) -> dict[str, int]:
    """Lines of each module."""
    return {m: len(p.read_text("utf-8").splitlines()) for m, p in sources(root).items()}


# --------------------------------------------------------------------------- the tests


def test_markers_are_written_in_the_disclosure_module_only():
    """No other code writes "<5" or the complement mark, or decides what is small."""
    offenders = []
    for path in sorted(
        [*REPO.joinpath("hehu").rglob("*.py"), *REPO.joinpath("widgets").rglob("*.py")]
    ):
        relative = path.relative_to(REPO).as_posix()
        if relative == DISCLOSURE:
            continue
        text = path.read_text("utf-8")
        for pattern in (r"<5", r"""["']\*["']""", r"between\(1,\s*4\)", r"<=\s*4\b"):
            if re.search(pattern, text):
                offenders.append(f"{relative}: {pattern}")
    assert offenders == []
    assert '"<5"' in REPO.joinpath(DISCLOSURE).read_text("utf-8")


def test_today_and_now_come_from_the_county_s_clock_only():
    """Every date a user sees or a rule decides on is the county's (hehu/clock.py): the server's
    own clock, UTC on most servers, made an inspection of today "later than today" before 08:00
    in Beijing and pre-filled yesterday's date (an audit, 2026-12-03)."""
    naive = re.compile(r"\b(?:date\.today|datetime\.now)\(\s*\)")
    offenders = [
        path.relative_to(REPO).as_posix()
        for path in sorted(
            [*REPO.joinpath("hehu").rglob("*.py"), *REPO.joinpath("widgets").rglob("*.py")]
        )
        if path.relative_to(REPO).as_posix() != "hehu/clock.py"
        and naive.search(path.read_text("utf-8"))
    ]
    assert offenders == []


def test_no_import_circle():
    assert circles(import_graph()) == []


def test_no_private_name_is_imported_from_another_module():
    assert private_imports() == []


def test_no_page_imports_another_page():
    graph = import_graph()
    pages = {m for m in graph if m.startswith("widgets.") and m.endswith("_page")}
    pages |= {"widgets.pages.overview", "widgets.pages.briefing"}
    assert {m: sorted(graph[m] & pages) for m in pages if graph[m] & pages} == {}


def test_no_module_is_oversized():
    assert {m: n for m, n in module_lines().items() if n > MAX_MODULE_LINES} == {}


def test_the_domain_never_imports_the_interface():
    graph = import_graph()
    tree_imports = {
        m: sorted(t for t in graph[m] if t.startswith("widgets"))
        for m in graph
        if m.startswith("hehu")
    }
    assert {m: t for m, t in tree_imports.items() if t} == {}
    for path in REPO.joinpath("hehu").rglob("*.py"):
        text = path.read_text("utf-8")
        assert not re.search(r"^\s*(import|from)\s+(ipywidgets|folium|IPython)\b", text, re.M), path


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO
    lines = module_lines(root)
    print(f"modules: {len(lines)}, lines: {sum(lines.values())}")
    print(
        "over", MAX_MODULE_LINES, "lines:", {m: n for m, n in lines.items() if n > MAX_MODULE_LINES}
    )
    print("largest:", sorted(lines.items(), key=lambda x: -x[1])[:8])
    longs = long_functions(root)
    print(f"functions over {MAX_FUNCTION_LINES} lines: {len(longs)}")
    for f, n in longs:
        print(f"  {n:4d} {f}")
    print("import circles:", circles(import_graph(root)))
    print("private names imported across modules:", private_imports(root))
