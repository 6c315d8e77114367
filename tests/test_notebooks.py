"""Every page notebook executes headless, only composes, and is committed without outputs."""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_pages():
    names = {p.stem for p in NOTEBOOKS}
    assert {"overview", "briefing"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_clean_and_only_composes(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert len(code) == 1, "a page notebook builds one page in one cell"
    assert not code[0].get("outputs") and code[0].get("execution_count") is None
    tree = ast.parse("".join(code[0]["source"]))
    # imports from widgets, then a single call whose result is displayed: no logic here
    assert [type(n).__name__ for n in tree.body] == ["ImportFrom", "Expr"]
    assert tree.body[0].module.startswith("widgets.")


@pytest.mark.notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
@pytest.mark.parametrize("role", ["deputy", "staff"])
def test_notebook_executes(path, role, demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_DB", demo_url)
    monkeypatch.setenv("HEHU_ROLE", role)
    monkeypatch.setenv("QUERY_STRING", "")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute(env=dict(os.environ))
    outputs = nb.cells[-1].outputs
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
