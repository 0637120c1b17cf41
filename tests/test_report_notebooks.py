"""The report notebooks follow the house rules (style.md rule 14) without running them.

Each ``notebooks/NN-*.py`` is jupytext py:percent text with a first code cell
tagged ``parameters`` (``wave``, ``language``, ``output_dir``), calls into
``analysis`` only (no function or class definitions, no lambdas, imports of
``analysis``/IPython/pandas only), and carries no outputs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.py"))
ALLOWED_IMPORTS = {"analysis", "IPython", "pandas", "numpy"}

pytestmark = pytest.mark.skipif(not NOTEBOOKS, reason="no notebooks/NN-*.py yet")


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def notebook(request):
    path = request.param
    return path, jupytext.read(path, fmt="py:percent")


def test_first_code_cell_is_tagged_parameters(notebook):
    path, nb = notebook
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, path.name
    first = code[0]
    assert "parameters" in first.metadata.get("tags", []), path.name
    names = {t.id for node in ast.parse(first.source).body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)}
    assert {"wave", "language", "output_dir"} <= names, path.name


def test_only_calls_into_analysis(notebook):
    path, nb = notebook
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                         ast.Lambda)), f"{path.name} cell {i + 1} defines code"
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots <= ALLOWED_IMPORTS, f"{path.name} cell {i + 1} imports {roots}"


def test_opens_its_own_chapter(notebook):
    path, nb = notebook
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f'open_chapter("{path.stem}"' in source, path.name


def test_no_outputs_committed(notebook):
    path, _ = notebook
    text = path.read_text(encoding="utf-8")
    assert '"outputs"' not in text
    assert not list((ROOT / "notebooks").glob("*.ipynb"))


def test_prose_comes_in_both_languages(notebook):
    path, nb = notebook
    tags = [t for c in nb.cells if c.cell_type == "markdown" for t in c.metadata.get("tags", [])]
    assert tags.count("lang-zh") == tags.count("lang-en"), path.name
