"""Parameter descriptions shared by many estimators, written once.

Docstrings mark a shared piece with ``{{name}}`` on a line of its own; the
:func:`fill_doc` decorator replaces it with the text below, indented to match.
Only truly repeated parameters live here (house style: keep docstrings readable
in source).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

__all__ = ["DOCS", "fill_doc"]

F = TypeVar("F", bound=Callable)

DOCS: dict[str, str] = {
    "var": """\
var : str or list of str
    Column name(s).  Numeric and boolean columns give one row each; a
    categorical (or string) column gives one row per level, like R's factors.
    A codebook multiple-choice question id (or a list of boolean columns) is
    read as a select-all question: one row per option, base = respondents
    shown the question (rows where every option is NA are not-asked).""",
    "by": """\
by : str or list of str, optional
    Grouping column(s).  Each group is estimated as a *domain*: the full
    design is kept (rows outside get zero weight), as R's ``svyby``.  Rows
    with a missing group are left out.  The result is indexed by group (and
    level), and its covariance spans all groups, so groups can be compared.""",
    "na_rm": """\
na_rm : bool, default False
    With ``False`` a missing value in the domain makes the estimate NaN (R's
    ``NA``); with ``True`` rows with a missing value form a domain that is
    left out while the full design is kept for the variance.""",
    "deff": """\
deff : bool or "replace", default False
    Also compute design effects: the design variance over the variance under
    simple random sampling without replacement of the same size (with
    ``"replace"``: with replacement), as R's ``deff=``.""",
    "conf_level": """\
conf_level : float, default 0.95
    Confidence level of the intervals kept on the result (other levels via
    ``result.conf_int(level)``).""",
    "returns_result": """\
SurveyResult
    ``.estimate``, ``.se``, ``.vcov``, ``.df``, ``.n_unweighted``,
    ``.summary_frame(level=0.95)`` (columns ``estimate, se, ci_low, ci_high``
    and ``deff`` when asked).""",
}


def fill_doc(func: F) -> F:
    """Replace ``{{name}}`` lines in ``func.__doc__`` with :data:`DOCS` entries.

    Parameters
    ----------
    func : callable
        Function or method whose docstring holds ``{{name}}`` lines.

    Returns
    -------
    callable
        ``func`` itself, its ``__doc__`` filled in.
    """
    doc = func.__doc__
    if not doc:
        return func
    lines: list[str] = []
    for line in doc.splitlines():
        stripped = line.strip()
        if stripped.startswith("{{") and stripped.endswith("}}"):
            indent = line[: len(line) - len(line.lstrip())]
            text = DOCS[stripped[2:-2]]
            lines.extend(indent + t if t else t for t in text.splitlines())
        else:
            lines.append(line)
    func.__doc__ = "\n".join(lines)
    return func
