"""How a report build starts: the command line reaches its kernels without loading the stack.

``greensurvey report`` starts its kernels before anything else; importing the
package root, the CLI and the build must not import pandas, SciPy or
matplotlib (~1.4 s), which the kernels import for themselves while the build
plans.  The package root still offers every public name, imported on first use.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

import analysis
import analysis.cli
import analysis.ingest.wave
import analysis.report


def _run(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=120)
    return done.stdout.strip()


def test_the_cli_and_the_build_import_nothing_heavy():
    loaded = _run("import sys, analysis.cli, analysis.report.build, analysis.report.kernels\n"
                  "print(sorted(m for m in ('numpy', 'pandas', 'scipy', 'matplotlib') "
                  "if m in sys.modules))")
    assert loaded == "[]"


def test_the_package_root_resolves_its_public_names_on_first_use():
    out = _run("import sys, analysis\n"
               "before = 'analysis.survey' in sys.modules\n"
               "design = analysis.SurveyDesign\n"
               "print(before, design.__module__, 'analysis.survey' in sys.modules)")
    assert out == "False analysis.survey True"
    for module in (analysis, analysis.report):
        assert set(module.__all__) <= set(dir(module))
        assert all(getattr(module, name) is not None for name in module.__all__)
    from analysis import SurveyDesign, rake
    from analysis.survey import SurveyDesign as defined
    from analysis.weight.methods import rake as rake_defined
    assert SurveyDesign is defined
    assert rake is rake_defined


@pytest.mark.parametrize("module", [analysis, analysis.report], ids=["analysis", "report"])
def test_an_unknown_name_is_an_attribute_error(module):
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018


def test_the_cli_names_the_salt_variable_the_ingest_reads():
    assert analysis.cli.SALT_ENV == analysis.ingest.wave.SALT_ENV


def test_kernels_preload_the_packages_modules_the_notebooks_import(tmp_path):
    # which modules every kernel imports up front
    from analysis.report.build import _preload

    notebook = tmp_path / "01-x.py"
    notebook.write_text("# %%\nimport json\nimport analysis.report.topline\n"
                        "from analysis.report import crosstabs\nfrom sklearn import tree\n",
                        encoding="utf-8")
    names = _preload([notebook, tmp_path / "02-missing.py"])
    assert {"analysis.report.topline", "analysis.report", "analysis.report.chapter"} <= set(names)
    assert not {"json", "sklearn"} & set(names)  # left to the kernel whose chapter needs them
