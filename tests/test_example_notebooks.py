"""The example notebooks of docs/examples: committed clean, kept away from Voila, executed on the
demo, and every figure they compute equal to `hehu metrics` for the same period."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "docs" / "examples").glob("*.ipynb"))


def tagged(notebook, tag: str) -> list:
    """The code cells of a notebook carrying a tag."""
    return [c for c in notebook.cells if tag in c.get("metadata", {}).get("tags", [])]


def test_there_are_examples_and_voila_does_not_serve_them():
    assert len(EXAMPLES) >= 3
    pages = REPO / "notebooks"
    assert all(pages not in path.parents for path in EXAMPLES)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_an_example_is_committed_clean_and_asks_its_question_in_chinese(path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "问题" in first.source
    assert len(tagged(notebook, "answer")) >= 1 and len(tagged(notebook, "figures")) == 1


def command_line_metrics(db_url: str, period: str) -> dict:
    """`hehu metrics --json` for the county over a period key ('2022' or 'start:end')."""
    start, end = period.split(":") if ":" in period else (f"{period}-01-01", f"{period}-12-31")
    done = subprocess.run(
        [sys.executable, "-m", "hehu.cli", "metrics", "--db", db_url, "--json"]
        + ["--start", start, "--end", end],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


@pytest.mark.notebook
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_an_example_runs_and_its_figures_are_the_command_lines(path, demo_url, monkeypatch):
    monkeypatch.setenv("HEHU_DB", demo_url)
    monkeypatch.setenv("HEHU_ROLE", "staff")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute(env=dict(os.environ))
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    for cell in tagged(notebook, "answer"):  # each answer shows something: a table or a line
        assert any(o.get("data") or o.get("text") for o in cell.outputs)
    (figures_cell,) = tagged(notebook, "figures")
    figures = ast.literal_eval(figures_cell.outputs[0]["data"]["text/plain"])
    period = figures.pop("period")
    expected = command_line_metrics(demo_url, period)
    assert figures and figures == {metric: expected[metric] for metric in figures}
