"""The cleaning audit table and the CONSORT-style exclusion funnel.

The audit is an *output* of :func:`analysis.clean`: one row per excluded or
flagged respondent per rule hit, per changed value, per redacted PII item and
per dropped personal column.  It never holds personal data: PII values are
masked (``"[mobile number]"``) and every text field is run through
:func:`analysis.pii.scrub_text` before the table is returned.

Columns (:data:`AUDIT_COLUMNS`)
-------------------------------
``respondent_id`` (string; NA for column-level rows), ``source_row``
(Int64; the 1-based row of the raw file), ``rule`` (a stable rule id from
:data:`analysis.cleaning.screening.RULES`), ``action`` (:data:`ACTIONS`),
``question`` (question id or NA), ``column`` (the frame column, or NA),
``old_value``, ``new_value`` (strings; NA when not applicable) and
``reason`` (a readable sentence).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .. import pii

__all__ = [
    "ACTIONS",
    "AUDIT_COLUMNS",
    "FUNNEL_COLUMNS",
    "audit_frame",
    "empty_audit",
    "format_values",
    "build_funnel",
    "render_funnel",
    "scrub_audit",
]

ACTIONS = ("exclude", "flag", "set_missing", "redact", "drop_column", "hash_column")
AUDIT_COLUMNS = ("respondent_id", "source_row", "rule", "action", "question", "column",
                 "old_value", "new_value", "reason")
FUNNEL_COLUMNS = ("step", "rule", "label", "action", "excluded", "flagged", "remaining")
_STRING_COLUMNS = ("respondent_id", "rule", "action", "question", "column",
                   "old_value", "new_value", "reason")


def empty_audit() -> pd.DataFrame:
    """An audit table with no rows and the proper dtypes.

    Returns
    -------
    DataFrame
        The audit columns (:data:`AUDIT_COLUMNS`), no rows.
    """
    out = pd.DataFrame({c: pd.Series([], dtype="string") for c in AUDIT_COLUMNS})
    out["source_row"] = pd.Series([], dtype="Int64")
    return out[list(AUDIT_COLUMNS)]


def audit_frame(*, respondent_id: Any, source_row: Any, rule: Any, action: Any,
                question: Any = None, column: Any = None, old_value: Any = None,
                new_value: Any = None, reason: Any = None) -> pd.DataFrame:
    """Build audit rows from aligned arrays or scalars (broadcast like a DataFrame).

    Parameters
    ----------
    respondent_id, source_row : array-like or scalar
        Who the row is about (NA for column-level rows).
    rule, action, question, column, old_value, new_value, reason : array-like or scalar
        See the module docstring.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AUDIT_COLUMNS` with string / Int64 dtypes.
    """
    parts = {"respondent_id": respondent_id, "source_row": source_row, "rule": rule,
             "action": action, "question": question, "column": column,
             "old_value": old_value, "new_value": new_value, "reason": reason}
    arrays = {k: v for k, v in parts.items() if not np.isscalar(v) and v is not None}
    n = len(next(iter(arrays.values()))) if arrays else 1
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for col, value in parts.items():
        dtype = "Int64" if col == "source_row" else "string"
        if isinstance(value, pd.Series):
            # Converted column-wise (Arrow), not through a Python object per row.
            out[col] = pd.Series(value.astype(dtype).array, index=out.index)
            continue
        out[col] = pd.Series(value if value is not None else [None] * n, index=out.index,
                             dtype=dtype)
    bad = set(out["action"].dropna().unique()) - set(ACTIONS)  # distinct values, not cells
    if bad:
        raise ValueError(f"unknown audit action(s) {sorted(bad)}; use one of {list(ACTIONS)}")
    return out[list(AUDIT_COLUMNS)]


def format_values(values: pd.Series | np.ndarray | Sequence[Any]) -> pd.Series:
    """Render values for ``old_value`` / ``new_value`` as strings (index dropped).

    Numbers print without a trailing ``.0`` when whole (``13812345678``, not
    ``1.38e+10``, so the PII safety net can still recognise them); NA stays NA.

    Parameters
    ----------
    values : Series, ndarray or sequence
        The values, in row order.

    Returns
    -------
    Series of string
        One string per value, on a fresh ``RangeIndex``.
    """
    s = pd.Series(values).reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        vals = s.astype("float64")
        out = pd.Series(pd.NA, index=s.index, dtype="string")
        finite = np.isfinite(vals)
        whole = finite & (vals == np.round(vals)) & (vals.abs() < 1e15)
        out[whole] = vals[whole].astype("int64").astype("string")
        frac = finite & ~whole
        out[frac] = vals[frac].map(repr).astype("string")
        inf = vals.isin([np.inf, -np.inf])
        out[inf] = vals[inf].astype("string")
        return out
    return s.astype("string")


def scrub_audit(audit: pd.DataFrame) -> pd.DataFrame:
    """Run the PII scrubber over every text field of an audit table (a safety net).

    Parameters
    ----------
    audit : DataFrame
        An audit table.

    Returns
    -------
    DataFrame
        A copy with personal data in its text columns redacted.
    """
    out = audit.copy(deep=False)  # columns are replaced, never written into
    for col in ("respondent_id", "question", "column", "old_value", "new_value", "reason"):
        if out[col].notna().any():
            out[col], _ = pii.scrub_text(out[col])
    return out


def build_funnel(first_rule: pd.Series, rule_order: Sequence[str], *,
                 labels: dict[str, str], actions: dict[str, str],
                 flagged: dict[str, int]) -> pd.DataFrame:
    """The CONSORT-style exclusion funnel.

    Parameters
    ----------
    first_rule : pandas.Series
        One entry per input respondent: the id of the first rule (in funnel
        order) that excluded them, NA if kept.
    rule_order : sequence of str
        The funnel's fixed rule order.
    labels : dict
        Readable step names per rule.
    actions : dict
        The action each rule ran with (``"exclude"``, ``"flag"``, a mix such
        as ``"exclude/flag"``, or ``"off"`` when it did not run).
    flagged : dict
        Kept respondents flagged by each rule.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`FUNNEL_COLUMNS`.  Step 0 is the input; one step per
        rule in ``rule_order``; ``remaining`` of the last step is the number
        kept, so ``n_in == excluded.sum() + remaining.iloc[-1]``.
    """
    n_in = len(first_rule)
    counts = first_rule.value_counts()
    rows = [{"step": 0, "rule": "input", "label": "responses received", "action": "",
             "excluded": 0, "flagged": 0, "remaining": n_in}]
    remaining = n_in
    for i, rule in enumerate(rule_order, start=1):
        excluded = int(counts.get(rule, 0))
        remaining -= excluded
        rows.append({"step": i, "rule": rule, "label": labels.get(rule, rule),
                     "action": actions.get(rule, "off"), "excluded": excluded,
                     "flagged": int(flagged.get(rule, 0)), "remaining": remaining})
    out = pd.DataFrame(rows, columns=list(FUNNEL_COLUMNS))
    return out.astype({"step": "int64", "excluded": "int64", "flagged": "int64",
                       "remaining": "int64"})


def render_funnel(funnel: pd.DataFrame, *, title: str | None = None) -> str:
    """Render a funnel from :func:`build_funnel` as an aligned text table.

    Parameters
    ----------
    funnel : pandas.DataFrame
        Columns :data:`FUNNEL_COLUMNS`.
    title : str, optional
        First line.

    Returns
    -------
    str
        One line per step plus a closing ``kept`` line with the share kept;
        no trailing newline.
    """
    n_in = int(funnel["remaining"].iloc[0])
    kept = int(funnel["remaining"].iloc[-1])
    head = ("step", "rule", "action", "excluded", "flagged", "remaining")
    body = [(str(r.step), str(r.label), str(r.action) or "-",
             "" if r.step == 0 else str(r.excluded), "" if r.step == 0 else str(r.flagged),
             str(r.remaining)) for r in funnel.itertuples(index=False)]
    share = f"{100 * kept / n_in:.1f}%" if n_in else "-"
    body.append(("", "kept for analysis", "", str(n_in - kept), "", f"{kept} ({share})"))
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    right = (False, False, False, True, True, True)

    def line(row: Sequence[str]) -> str:
        cells = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right)]
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines = ([title] if title else []) + [line(head), rule] + [line(b) for b in body[:-1]]
    return "\n".join([*lines, rule, line(body[-1])])
