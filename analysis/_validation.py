"""Validation helpers shared by every public function.

Each helper raises a typed error whose message names the argument, the
value received and the allowed choices, so call sites stay one line long.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import DesignError, SurveyError, WeightError

__all__ = [
    "check_argument",
    "check_type",
    "check_columns",
    "as_column_list",
    "check_weights",
    "check_probability",
    "as_rng",
    "format_rows",
]


def format_rows(index: Iterable[Any], limit: int = 10) -> str:
    """Render a list of row labels for an error message, truncated after ``limit``.

    Parameters
    ----------
    index : iterable
        Row labels.
    limit : int, default 10
        Number of labels shown before ``... (n in all)``.

    Returns
    -------
    str
        The labels, comma-separated.
    """
    rows = list(index)
    shown = ", ".join(str(r) for r in rows[:limit])
    if len(rows) > limit:
        shown += f", ... ({len(rows)} in all)"
    return shown


def check_argument(param: str, options: Sequence[Any], value: Any) -> Any:
    """Raise ``ValueError`` unless ``value`` is one of ``options``.

    Parameters
    ----------
    param : str
        Name of the argument, as the user typed it.
    options : sequence
        Allowed values.
    value : object
        Value received.

    Returns
    -------
    object
        ``value``, so the call can be used inline.
    """
    if value not in options:
        raise SurveyError(
            f"`{param}` must be one of {list(options)!r}, not {value!r}",
            hint=f"pass {param}={options[0]!r} or another allowed value",
        )
    return value


def check_type(param: str, value: Any, types: type | tuple[type, ...]) -> Any:
    """Raise ``TypeError`` naming the argument unless ``value`` is of ``types``.

    Parameters
    ----------
    param : str
        Argument name, shown in the message.
    value : object
        The argument's value.
    types : type or tuple of type
        Accepted type(s).

    Returns
    -------
    object
        ``value`` unchanged.
    """
    if not isinstance(value, types):
        names = (
            " or ".join(t.__name__ for t in types) if isinstance(types, tuple) else types.__name__
        )
        raise TypeError(f"`{param}` must be {names}, not {type(value).__name__}")
    return value


def as_column_list(param: str, value: str | Sequence[str] | None) -> list[str]:
    """Normalise ``None`` / a column name / a list of names to a list of names.

    Parameters
    ----------
    param : str
        Argument name, shown in the error.
    value : str, sequence of str or None
        Column name(s).

    Returns
    -------
    list of str
        The names; empty for ``None``.
    """
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return list(value)
    raise TypeError(f"`{param}` must be a column name or a list of column names, not {value!r}")


def check_columns(data: pd.DataFrame, columns: Iterable[str], param: str = "column") -> None:
    """Raise :class:`DesignError` naming every column of ``columns`` absent from ``data``.

    Parameters
    ----------
    data : DataFrame
        The data the columns must be in.
    columns : iterable of str
        Column names to look up.
    param : str, default "column"
        Argument name, shown in the message.
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        available = format_rows(map(repr, data.columns), limit=15)
        raise DesignError(
            f"`{param}` names column(s) {missing!r} that are not in the data",
            column=missing[0],
            hint=f"use one of the data's columns: {available}",
        )


def check_weights(weights: np.ndarray | pd.Series, index: Sequence[Any] | None = None,
                  *, allow_zero: bool = False, name: str = "weights") -> np.ndarray:
    """Return weights as float64, raising :class:`WeightError` listing bad rows.

    Parameters
    ----------
    weights : array-like
        Candidate weights.
    index : sequence, optional
        Row labels used in the message (defaults to positions).
    allow_zero : bool
        Whether zero weights are acceptable (domains, trimmed rows).
    name : str
        Name used in the message.

    Returns
    -------
    ndarray
        The weights as float64.
    """
    w = np.asarray(weights, dtype="float64")
    bad_nan = ~np.isfinite(w)
    bad = (w < 0 if allow_zero else w <= 0) & ~bad_nan
    if not (bad_nan.any() or bad.any()):
        return w

    def labels(mask: np.ndarray) -> str:
        # Only build row labels on the error path (cheap when weights are fine).
        rows = np.flatnonzero(mask)
        return format_rows([index[int(i)] for i in rows] if index is not None else rows)

    if bad_nan.any():
        raise WeightError(
            f"{name} contain {int(bad_nan.sum())} missing or infinite value(s)",
            column=name if isinstance(name, str) else None,
            row=labels(bad_nan),
            hint="drop or impute these rows before building the design",
        )
    what = "negative" if allow_zero else "zero or negative"
    raise WeightError(
        f"{name} contain {int(bad.sum())} {what} value(s)",
        column=name if isinstance(name, str) else None,
        row=labels(bad),
        hint="survey weights must be positive; drop these rows or fix the weight column",
    )


def check_probability(param: str, value: float, *, open_interval: bool = True) -> float:
    """Raise ``ValueError`` unless ``value`` lies in (0, 1) (or [0, 1]).

    Parameters
    ----------
    param : str
        Argument name, shown in the message.
    value : float
        The probability.
    open_interval : bool, default True
        Require ``0 < value < 1``; with ``False`` the ends are allowed.

    Returns
    -------
    float
        ``value`` as a float.
    """
    ok = 0 < value < 1 if open_interval else 0 <= value <= 1
    if not ok:
        bounds = "(0, 1)" if open_interval else "[0, 1]"
        raise SurveyError(f"`{param}` must lie in {bounds}, not {value!r}")
    return float(value)


def as_rng(seed: np.random.Generator | int | None) -> np.random.Generator:
    """Return a ``numpy.random.Generator``; never touches global random state.

    Parameters
    ----------
    seed : Generator, int or None
        A generator (returned as is) or a seed for a new one.

    Returns
    -------
    Generator
        The random generator to draw from.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (int, np.integer)):
        return np.random.default_rng(seed)
    raise TypeError(f"`seed` must be an int, a numpy Generator or None, not {seed!r}")
