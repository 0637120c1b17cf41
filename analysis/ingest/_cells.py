"""Cell-level helpers shared by every reader: cell text, label matching.

Everything works on whole columns or on a column's *distinct* values (a
survey column has few), never cell by cell over respondents.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from .._codebook_fields import missing_lookup, to_int
from ..codebook import Codebook, Option, Question

__all__ = [
    "WHITESPACE",
    "SKIP_TOKENS",
    "BLANK_TOKENS",
    "cell_text",
    "map_unique",
    "spread",
    "normalise_label",
    "strip_decoration",
    "OptionMatcher",
    "parse_int",
    "is_int_like",
    "special_status",
]

#: Text-mode cells meaning "skipped" (问卷星 writes ``(跳过)``; code mode -3).
SKIP_TOKENS = frozenset({"(跳过)", "（跳过）", "跳过"})
#: Cells meaning "no value": the literal NULL of some exports, ``(空)``.
BLANK_TOKENS = frozenset({"NULL", "null", "(空)", "（空）", "#N/A", "NaN", "nan"})
_DECORATION = re.compile(r"[【〖\[(（][^】〗\])）]*(?:请注明|请说明|请填写|请补充|注明|specify|填写)"
                         r"[^】〗\])）]*[】〗\])）]|〖[^〗]*〗|[:：]+$", re.IGNORECASE)
#: Every character str.isspace() holds for: what str.strip() removes.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003"
               "\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
_EMPTY = sorted(BLANK_TOKENS | {""})
_INT = re.compile(r"^[+-]?\d+(?:\.0*)?$")


def _one_text(value: Any) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (np.floating,)):
        return _one_text(float(value))
    if isinstance(value, datetime):
        return value.strftime("%Y/%m/%d %H:%M:%S")
    if isinstance(value, date):
        return value.strftime("%Y/%m/%d")
    text = str(value).strip()
    return text or None


def map_unique(series: pd.Series, func: Callable[[Any], Any], na: Any = None,
               dtype: Any = object) -> pd.Series:
    """Apply ``func`` to each *distinct* non-missing value and gather the results.

    Survey columns hold few distinct answers, so this costs one C-level
    factorisation plus ``func`` calls per distinct value, not per cell.

    Parameters
    ----------
    series : Series
        The cells.
    func : callable
        Called once per distinct non-missing value.
    na : object, optional
        Result for missing cells.
    dtype : dtype, default object
        Dtype of the result.

    Returns
    -------
    Series
        ``func`` of each cell, on ``series``'s index.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [func(u) for u in uniques]
    results[-1] = na
    return spread(results, codes, series.index, dtype)


def spread(results: np.ndarray, codes: np.ndarray, index: pd.Index, dtype: Any = object,
           ) -> pd.Series:
    """Per-cell values from per-distinct-value ``results`` and factor ``codes``.

    The typed array is built on the few distinct results and then taken by
    code (one C-level gather): building a ``string``/``Int64`` array from
    millions of Python objects costs far more than the take.

    Parameters
    ----------
    results : ndarray of object
        One result per distinct value, then the result for code -1 (missing).
    codes : ndarray of int
        Factor codes (-1 for missing), as from :func:`pandas.factorize`.
    index : Index
        Index of the result.
    dtype : dtype, default object
        Dtype of the result.

    Returns
    -------
    Series
        ``results[codes]`` on ``index``.
    """
    codes = np.asarray(codes)
    taken = np.where(codes < 0, len(results) - 1, codes) if len(results) else codes
    if dtype is object:
        return pd.Series(results[taken], index=index, dtype=object)
    small = pd.array(results, dtype=dtype)
    return pd.Series(small.take(taken), index=index)


def _clean_cell(value: Any) -> str | None:
    text = _one_text(value)
    return None if text is None or text in BLANK_TOKENS else text


def cell_text(column: pd.Series) -> pd.Series:
    """Turn cells into trimmed strings (``string`` dtype), NA for empty / ``NULL``.

    Integral floats (Excel and SPSS store codes as floats) become ``"3"``,
    not ``"3.0"``; datetimes become ``YYYY/MM/DD HH:MM:SS``.

    Parameters
    ----------
    column : Series
        Raw cells of one export column.

    Returns
    -------
    Series of string
        The cell texts, on the column's index.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        # Already factorised (a text export's columns of few answers): unused categories
        # cost one call each, far less than factorising the cells again.
        codes, uniques = column.cat.codes.to_numpy(), column.cat.categories
    else:
        codes, uniques = pd.factorize(column, use_na_sentinel=True)
    if 4 * len(uniques) > len(column) and isinstance(column.dtype, pd.StringDtype) \
            and column.dtype.storage == "pyarrow":
        # Mostly distinct text (ids, timestamps, IPs): a call per distinct value would
        # be a call per cell, so trim and blank out the whole column in Arrow.  The
        # characters are exactly those str.strip() removes, as in the general path.
        text = column.astype("string").str.strip(WHITESPACE)
        return text.mask(text.isin(_EMPTY) | text.isna())
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [_clean_cell(u) for u in uniques]
    results[-1] = None
    return spread(results, codes, column.index, "string")


def normalise_label(label: Any) -> str:
    """Comparable form of a label: NFKC (full-width -> ASCII), no spaces, case-folded.

    Parameters
    ----------
    label : object
        An option label, header or answer cell.

    Returns
    -------
    str
        The label normalised for comparison.
    """
    text = unicodedata.normalize("NFKC", str(label))
    return re.sub(r"\s+", "", text).casefold()


def strip_decoration(label: str) -> str:
    """``其他【请注明】〖育儿〗`` -> ``其他``: drop "please specify" marks and the typed text.

    Parameters
    ----------
    label : str
        An option label as exported.

    Returns
    -------
    str
        The label without "please specify" marks and the text typed into them.
    """
    text = unicodedata.normalize("NFKC", label)
    previous = None
    while previous != text:
        previous, text = text, _DECORATION.sub("", text).strip()
    return text


def is_int_like(text: pd.Series) -> pd.Series:
    """Boolean mask of cells holding an integer (``"3"``, ``"-2"``, ``"4.0"``).

    Parameters
    ----------
    text : Series
        Cell texts.

    Returns
    -------
    Series of bool
        True where the cell is an integer, on ``text``'s index.
    """
    return map_unique(text, lambda u: bool(_INT.match(str(u))), na=False).astype(bool)


def parse_int(text: pd.Series) -> pd.Series:
    """Integer value of integer-like cells (``Int64``), NA elsewhere.

    Parameters
    ----------
    text : pandas.Series
        Cell texts.

    Returns
    -------
    pandas.Series
        ``Int64``; NA for non-integers and for integers beyond 64 bits (a
        40-digit cell cannot be a code, and must not overflow).
    """
    return map_unique(text, to_int, dtype="Int64")


def special_status(text: pd.Series, question: Question, codebook: Codebook, *,
                   codes: bool) -> pd.Series:
    """Why each cell is missing, before any answer is parsed.

    Parameters
    ----------
    text : pandas.Series
        Cell texts (:func:`cell_text`).
    question : Question
        Whose ``missing`` table (or the wave's ``missing_codes``) applies.
    codebook : Codebook
        The codebook.
    codes : bool
        Whether numeric missing codes and ranges apply (code-mode
        downloads, SPSS/Stata); text keys (Stata ``.a``, ``N/A``) always do.

    Returns
    -------
    pandas.Series
        ``"blank"`` for an empty cell; the codebook's kind for ``(跳过)``
        (= code -3) and for a declared missing value; NA where the cell holds
        something to parse.  Decided once per distinct value.
    """
    lookup = missing_lookup(codebook.missing_table(question), codes=codes)
    skip_kind = codebook.missing_kind(question, -3) or "skipped"

    def one(value: str) -> str | None:
        return skip_kind if value in SKIP_TOKENS else lookup(value)

    return map_unique(text, one, na="blank", dtype="string")


class OptionMatcher:
    """Find a question's option from an export label (or a code).

    Labels match in three tiers: the zh/en label, name and ``aliases``
    after :func:`normalise_label`; then with "please specify" decoration
    removed (``其他【请注明】`` == ``其他``); then a bare score (``4分``
    == ``4``).

    Parameters
    ----------
    options : sequence of Option
        The question's options.
    """

    def __init__(self, options: Iterable[Option]) -> None:
        self.options = tuple(options)
        self._exact: dict[str, Option] = {}
        self._loose: dict[str, Option] = {}
        for o in self.options:
            names = [o.label.zh, o.label.en, *o.aliases]
            if o.name:
                names.append(o.name)
            for n in names:
                if n is None:
                    continue
                self._exact.setdefault(normalise_label(n), o)
                self._loose.setdefault(normalise_label(strip_decoration(n)), o)
        self._codes = {o.code: o for o in self.options}

    def match(self, label: str) -> Option | None:
        """The option ``label`` names, or None.

        Parameters
        ----------
        label : str
            A label, name, alias or score as exported.

        Returns
        -------
        Option or None
            The matching option; None when no tier matches.
        """
        key = normalise_label(label)
        if key in self._exact:
            return self._exact[key]
        loose = normalise_label(strip_decoration(label))
        if loose and loose in self._loose:
            return self._loose[loose]
        score = re.fullmatch(r"(-?\d+(?:\.\d+)?)分", key)
        if score and score.group(1) in self._exact:
            return self._exact[score.group(1)]
        return None

    def by_code(self, code: int) -> Option | None:
        """The option with ``code``, or None.

        Parameters
        ----------
        code : int
            An option code.

        Returns
        -------
        Option or None
            The option with that code; None if there is none.
        """
        return self._codes.get(code)

    def describe(self, limit: int = 12) -> str:
        """Short list of option labels for error hints.

        Parameters
        ----------
        limit : int, default 12
            Number of options listed before ``...``.

        Returns
        -------
        str
            ``code=label`` pairs, comma-separated.
        """
        labels = [f"{o.code}={o.label.zh}" for o in self.options[:limit]]
        more = ", ..." if len(self.options) > limit else ""
        return ", ".join(labels) + more
