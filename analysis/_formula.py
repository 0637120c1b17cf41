"""Formula handling for the survey models (patsy, with R-style column names).

R data sets and many survey exports use column names such as ``api.stu`` or
``sch.wide`` that are not Python identifiers, so patsy would read ``api.stu``
as attribute access.  Two ways are supported:

* **automatic renaming** (the default): every token of the formula that is a
  column of the data but not an identifier is replaced by a private alias
  before patsy sees it, and the coefficient names are mapped back, so
  ``api00 ~ api.stu`` gives a coefficient called ``api.stu``;
* patsy's own quoting, ``Q("api.stu")``, which also works; its names are
  reported without the ``Q("...")`` wrapper.

Columns with spaces or operators in their names (``"age group"``) cannot be
recognised inside a formula; quote them with ``Q("age group")``.

Categorical predictors use treatment contrasts with the *first* level as the
reference, as R does: pandas categoricals keep their category order, other
columns are sorted (R's ``factor()``).  Coefficients are named the patsy way,
``stype[T.H]`` for R's ``stypeH``.

Column types, as ``load_wave`` produces them, read the same as their plain
versions: nullable ``boolean`` (select-all options), ``Int64`` and ``Float64``
are 0/1 or numeric columns named after the column (``barriers_price``), with
``<NA>`` missing (the row is dropped, as for NaN; never read as False);
``string``/``str`` text is a factor with sorted levels, like object strings.
A numpy ``bool`` column stays a patsy factor (``hard[T.True]``), as before.
Text that is a bare factor is handed to patsy as a Categorical, so it is
read without patsy's per-value loop over object arrays.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import patsy

from .errors import ModelError

__all__ = [
    "ModelFrame",
    "build_model_frame",
    "build_response_factor",
    "new_design_matrix",
    "rename_for_formula",
]

_STRING = re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')")
# An R-style name: starts like an identifier and may contain dots.
_TOKEN = re.compile(r"(?<![\w.])([^\W\d][\w.]*)")
_QUOTED = re.compile(r"""Q\((["'])(.*?)\1\)""")
# Any token that may name a column (CJK names included), for dtype conversion.
_NAME = re.compile(r"[^\W\d][\w.]*")


@dataclass(frozen=True)
class ModelFrame:
    """The numeric pieces of a model formula evaluated on a design's data.

    Attributes
    ----------
    formula : str
        The formula as the user wrote it.
    rows : ndarray of int
        Positions (0-based) of the data rows kept (complete cases).
    X : ndarray, shape (len(rows), p)
        Design matrix.
    columns : list of str
        Coefficient names, in original column spelling.
    y : ndarray or None
        Response (numeric), or ``None`` for one-sided formulas.
    rhs_info : patsy.DesignInfo
        Kept to rebuild the design matrix for new data (``predict``).
    rename : dict
        Original column name -> alias used inside patsy.
    column_variables : dict
        Coefficient name -> the data columns it is built from.
    response_levels : list or None
        For a categorical response turned into 0/1: ``[failure, success]``.
    """

    formula: str
    rows: np.ndarray
    X: np.ndarray
    columns: list[str]
    y: np.ndarray | None
    rhs_info: Any
    rename: dict[str, str] = field(default_factory=dict)
    column_variables: dict[str, list[str]] = field(default_factory=dict)
    response_levels: list[Any] | None = None

    @property
    def has_intercept(self) -> bool:
        """Whether the design matrix has an ``Intercept`` column."""
        return "Intercept" in self.columns


def _alias(name: str, taken: set[str]) -> str:
    base = re.sub(r"\W", "_", name)
    if not base or base[0].isdigit():
        base = "_" + base
    alias, k = base, 0
    while alias in taken:
        k += 1
        alias = f"{base}__{k}"
    taken.add(alias)
    return alias


def rename_for_formula(formula: str, data: pd.DataFrame) -> tuple[str, dict[str, str]]:
    """Rewrite non-identifier column names in ``formula`` to private aliases.

    Parameters
    ----------
    formula : str
        A patsy/R formula, e.g. ``"api00 ~ api.stu + stype"``.
    data : DataFrame
        The data the formula refers to.

    Returns
    -------
    formula : str
        The rewritten formula (string literals such as ``Q("a.b")`` untouched).
    rename : dict
        Original name -> alias, for the names that were rewritten.
    """
    columns = {str(c) for c in data.columns}
    taken = set(columns)
    rename: dict[str, str] = {}

    def repl(match: re.Match[str]) -> str:
        token = match.group(1)
        if token in columns and not token.isidentifier():
            if token not in rename:
                rename[token] = _alias(token, taken)
            return rename[token]
        return token

    parts = _STRING.split(formula)
    # Odd parts are string literals; leave them for patsy's Q().
    out = [part if i % 2 else _TOKEN.sub(repl, part) for i, part in enumerate(parts)]
    return "".join(out), rename


def _restore(name: str, rename: dict[str, str]) -> str:
    name = _QUOTED.sub(lambda m: m.group(2), name)
    for original, alias in rename.items():
        name = re.sub(rf"(?<![\w.]){re.escape(alias)}(?!\w)", original, name)
    return name


def _formula_names(formula: str) -> set[str]:
    """Every name-like token of ``formula``, plus the contents of ``Q("...")``."""
    tokens = _NAME.findall(formula)
    # "x.astype(int)" names column x; "api.stu" may be a column itself.
    names = set(tokens) | {part for t in tokens for part in t.split(".")}
    names.update(m.group(2) for m in _QUOTED.finditer(formula))
    return names


def _bare_factors(formula: str) -> set[str]:
    """Codes of the factors that are bare names (``g`` in ``y ~ g + x:g``, not ``C(g)``)."""
    try:
        desc = patsy.ModelDesc.from_formula(formula)
    except patsy.PatsyError:
        return set()  # dmatrices reports the error with its context
    return {f.code for t in (*desc.lhs_termlist, *desc.rhs_termlist) for f in t.factors}


def _is_text(col: pd.Series) -> bool:
    if isinstance(col.dtype, pd.StringDtype):
        return True
    return pd.api.types.is_object_dtype(col.dtype) and \
        pd.api.types.infer_dtype(col, skipna=True) == "string"


def _text_factor(col: pd.Series, name: str, levels: tuple[Any, ...] | None) -> pd.Categorical:
    """A text column as a Categorical: patsy reads it with no per-row Python loop.

    ``levels`` None: the sorted observed values, the levels patsy would give the
    text itself.  Otherwise the fitted levels; a value outside them is an error
    (patsy's own check, with the column named).
    """
    values = col.to_numpy(dtype=object, na_value=np.nan)
    present = col.notna().to_numpy()
    if levels is None:
        levels = tuple(sorted(pd.unique(values[present]).tolist()))
    # Object categories: patsy reads a "string"-dtype Index's missing values as <NA>.
    codes = pd.Index(levels, dtype=object).get_indexer(values)
    unseen = (codes < 0) & present
    if unseen.any():
        new = sorted(map(str, pd.unique(values[unseen])))[:5]
        raise ModelError(f"{name!r} has value(s) {new} that the model was not fitted on",
                         column=name, hint=f"use the fitted levels {list(levels)}")
    return pd.Categorical.from_codes(codes, categories=pd.Index(levels, dtype=object))


def _patsy_column(col: pd.Series) -> np.ndarray | pd.Categorical | None:
    """``col`` in a dtype patsy reads with the same meaning, or None if it reads it as is.

    Nullable ``boolean``/``Int64``/``Float64`` become float64 (``<NA>`` -> NaN, a
    missing value, so the row is dropped as for NaN, never read as False); the
    ``string`` dtypes and object columns holding ``pd.NA`` become object arrays
    with NaN, which patsy treats as missing (``pd.NA`` makes it raise).
    Categoricals keep their level order; only "string" categories become object
    (patsy's ``C()`` reads their missing values as ``<NA>`` and raises).
    """
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        if not isinstance(dtype.categories.dtype, pd.StringDtype):
            return None
        return pd.Categorical.from_codes(
            col.cat.codes.to_numpy(), ordered=dtype.ordered,
            categories=pd.Index(dtype.categories.to_numpy(dtype=object), dtype=object))
    if isinstance(dtype, pd.StringDtype):
        return col.to_numpy(dtype=object, na_value=np.nan)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype):
        if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
            return col.to_numpy(dtype="float64", na_value=np.nan)
        return None
    if pd.api.types.is_object_dtype(dtype):
        missing = col.isna().to_numpy()
        if missing.any():
            values = col.to_numpy(dtype=object, copy=True)
            values[missing] = np.nan
            return values
    return None


def _patsy_safe(frame: pd.DataFrame, names: set[str],
                factors: dict[str, tuple[Any, ...] | None]) -> pd.DataFrame:
    """``frame`` with the formula's columns in dtypes patsy reads correctly and fast.

    Parameters
    ----------
    frame : DataFrame
        The data (with any aliases), not modified.
    names : set of str
        Names in the formula; only these columns are converted, so wide survey
        frames cost nothing extra.
    factors : dict
        Columns that are bare categorical factors -> their levels (None: from
        the data).  Text columns among them become Categoricals.
    """
    convert: dict[str, Any] = {}
    for c in frame.columns:
        if c not in names:
            continue
        col = frame[c]
        if c in factors and _is_text(col):
            convert[c] = _text_factor(col, c, factors[c])
            continue
        new = _patsy_column(col)
        if isinstance(new, pd.Categorical):
            convert[c] = new
        elif new is not None:
            # An explicit dtype: pandas would re-infer "str" from object strings.
            convert[c] = pd.Series(new, index=frame.index, dtype=new.dtype)
    return frame.assign(**convert) if convert else frame


def _prepare(formula: str, data: pd.DataFrame) -> tuple[str, dict[str, str], pd.DataFrame]:
    if not isinstance(formula, str):
        raise TypeError(f"`formula` must be a str such as 'y ~ x1 + x2', not {formula!r}")
    if not formula.strip():
        raise ModelError("`formula` is empty", hint='write e.g. "y ~ x1 + x2"')
    rewritten, rename = rename_for_formula(formula, data)
    frame = data.reset_index(drop=True)
    if rename:
        # Add aliases beside the originals so Q("a.b") keeps working too.
        aliases = pd.DataFrame({v: frame[k] for k, v in rename.items()}, index=frame.index)
        frame = pd.concat([frame, aliases], axis=1)
    factors = dict.fromkeys(_bare_factors(rewritten))
    return rewritten, rename, _patsy_safe(frame, _formula_names(rewritten + " " + formula),
                                          factors)


def _column_variables(info: Any, rename: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for term, cols in zip(info.terms, (info.term_slices[t] for t in info.terms)):
        names = [_restore(f.name(), rename) for f in term.factors]
        for col in info.column_names[cols]:
            out[_restore(col, rename)] = names
    return out


def _patsy_error(err: Exception, formula: str, data: pd.DataFrame) -> ModelError:
    text = str(err).splitlines()[0]
    missing = re.search(r"name '([^']+)' is not defined", str(err))
    column = missing.group(1) if missing else None
    hint = "check the spelling of the columns; quote unusual names as Q(\"name\")"
    if column is not None:
        close = [c for c in map(str, data.columns) if c.lower().replace(".", "_")
                 == column.lower().replace(".", "_")]
        if close:
            hint = f"did you mean {close[0]!r}? quote it as Q({close[0]!r})"
    return ModelError(f"cannot evaluate formula {formula!r}: {text}", column=column,
                      hint=hint)


def build_model_frame(formula: str, data: pd.DataFrame, *,
                      binary_response: bool = False) -> ModelFrame:
    """Evaluate a formula on ``data`` with complete-case row handling.

    Parameters
    ----------
    formula : str
        ``"y ~ x1 + C(x2)"`` (two-sided) or ``"~ x1"`` (one-sided).
    data : DataFrame
        Data; its index is ignored (rows are reported by position).
    binary_response : bool
        Turn a two-level categorical response into 0/1, the first level
        being 0 (R: "the first level denotes failure").

    Returns
    -------
    ModelFrame
        Response and design matrix of the complete rows, their positions, the
        column names and patsy's term information.

    Raises
    ------
    ModelError
        If the formula does not evaluate or the response is not numeric.
    """
    rewritten, rename, frame = _prepare(formula, data)
    na_action = _RecordingDrop()
    try:
        # Plain matrices (no DataFrame copies); the NA action records the rows kept.
        if "~" in rewritten and rewritten.split("~", 1)[0].strip():
            ymat, xmat = patsy.dmatrices(rewritten, frame, NA_action=na_action)
        else:
            ymat, xmat = None, patsy.dmatrix(rewritten.split("~", 1)[-1], frame,
                                             NA_action=na_action)
    except patsy.PatsyError as err:
        raise _patsy_error(err, formula, data) from None
    except NameError as err:  # patsy re-raises evaluation errors of bare names
        raise _patsy_error(err, formula, data) from None
    rows = na_action.kept if na_action.kept is not None else np.arange(len(frame), dtype=np.int64)
    y = None
    levels = None
    if ymat is not None:
        y, levels = _response(ymat, formula, rename, binary_response)
    info = xmat.design_info
    columns = [_restore(c, rename) for c in info.column_names]
    return ModelFrame(formula=formula, rows=rows, X=np.asarray(xmat, dtype=float),
                      columns=columns, y=y, rhs_info=info, rename=rename,
                      column_variables=_column_variables(info, rename),
                      response_levels=levels)


class _RecordingDrop(patsy.NAAction):
    """patsy's complete-case drop that remembers which row positions it kept."""

    def __init__(self) -> None:
        super().__init__(on_NA="drop")
        self.kept: np.ndarray | None = None

    def handle_NA(self, values: Any, is_NAs: Any, origins: Any) -> Any:
        if is_NAs:
            self.kept = np.flatnonzero(~np.logical_or.reduce(is_NAs)).astype(np.int64)
        return super().handle_NA(values, is_NAs, origins)


def _response(ymat: Any, formula: str, rename: dict[str, str],
              binary: bool) -> tuple[np.ndarray, list[Any] | None]:
    arr = np.asarray(ymat, dtype=float)
    if arr.shape[1] == 1:
        return arr[:, 0].copy(), None
    names = [_restore(c, rename) for c in ymat.design_info.column_names]
    if binary and arr.shape[1] == 2:
        # Patsy codes a categorical response with one indicator per level.
        levels = [re.sub(r"^.*\[(.*)\]$", r"\1", n) for n in names]
        return 1.0 - arr[:, 0], levels
    raise ModelError(
        f"the response of {formula!r} expands to {arr.shape[1]} columns {names}",
        hint="use a numeric response, or a two-level factor for family='binomial'",
    )


def build_response_factor(formula: str, data: pd.DataFrame) -> tuple[str, pd.Series, list[Any]]:
    """Split ``"y ~ rhs"`` for an ordinal model and return the ordered response.

    Parameters
    ----------
    formula : str
        Two-sided formula whose left side is a single column.
    data : DataFrame
        The data.

    Returns
    -------
    rhs : str
        The right-hand side, as a one-sided formula ``"~ ..."``.
    codes : Series of float
        1-based category codes (NaN for missing), aligned by position.
    levels : list
        Category levels in order: a categorical's own order, else sorted.
    """
    if not isinstance(formula, str) or "~" not in formula:
        raise ModelError(f"`formula` must be two-sided like 'y ~ x', not {formula!r}",
                         hint="put the ordered response left of '~'")
    lhs, rhs = formula.split("~", 1)
    name = _QUOTED.sub(lambda m: m.group(2), lhs.strip())
    if name not in data.columns:
        raise ModelError(f"the response {name!r} of {formula!r} is not a column of the data",
                         column=name, hint="an ordinal response must be a single column")
    col = data[name].reset_index(drop=True)
    if isinstance(col.dtype, pd.CategoricalDtype):
        levels = list(col.cat.categories)
        codes = col.cat.codes.to_numpy().astype(float) + 1.0
        codes[codes == 0.0] = np.nan
    else:
        observed = col.dropna()
        levels = sorted(observed.unique().tolist())
        lookup = {lev: i + 1.0 for i, lev in enumerate(levels)}
        codes = col.map(lookup).to_numpy(dtype=float)
    return "~" + rhs, pd.Series(codes), levels


def new_design_matrix(frame: ModelFrame, newdata: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Build the design matrix of ``frame``'s right-hand side for ``newdata``.

    Parameters
    ----------
    frame : ModelFrame
        The fitted model frame (its formula, renamed columns and factor levels).
    newdata : DataFrame
        Rows to predict for; text columns take the fitted levels.

    Returns
    -------
    X : ndarray
        Rows of ``newdata`` that have no missing predictor.
    rows : ndarray of int
        Their positions in ``newdata``.
    """
    renamed = newdata.reset_index(drop=True)
    present = {k: v for k, v in frame.rename.items() if k in renamed.columns}
    if present:
        aliases = pd.DataFrame({v: renamed[k] for k, v in present.items()}, index=renamed.index)
        renamed = pd.concat([renamed, aliases], axis=1)
    # Text columns take the fitted levels, so a subset of them still lines up.
    factors = {f.code: tuple(info.categories)
               for f, info in frame.rhs_info.factor_infos.items()
               if info.type == "categorical" and f.code in renamed.columns}
    renamed = _patsy_safe(renamed, _formula_names(frame.formula) | set(present.values()),
                          factors)
    try:
        (xmat,) = patsy.build_design_matrices([frame.rhs_info], renamed,
                                              return_type="dataframe", NA_action="drop")
    except patsy.PatsyError as err:
        raise ModelError(f"cannot build the model matrix for `newdata`: {str(err).splitlines()[0]}",
                         hint="newdata needs every predictor column, with levels seen in the fit"
                         ) from None
    return xmat.to_numpy(dtype=float), xmat.index.to_numpy(dtype=np.int64)
