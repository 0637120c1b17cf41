"""Formula handling for the survey models (formulaic, with R-style column names).

Formulas are evaluated by formulaic, patsy's successor: it builds the design
matrix with vectorised pandas operations, where patsy inspected categorical
values one element at a time (11 s for ``C()`` on a 10^6-row integer column).
The coefficient names are patsy's, as before: ``stype[T.H]`` for R's
``stypeH``, ``C(sex)[T.2]``, ``g[T.b]:x``, ``Intercept``.

R data sets and many survey exports use column names such as ``api.stu`` or
``sch.wide`` that are not Python identifiers, so a formula would read
``api.stu`` as attribute access.  Two ways are supported:

* **automatic renaming** (the default): every token of the formula that is a
  column of the data but not an identifier is replaced by a private alias
  before formulaic sees it, and the coefficient names are mapped back, so
  ``api00 ~ api.stu`` gives a coefficient called ``api.stu``;
* patsy-style quoting, ``Q("api.stu")``, which also works; its names are
  reported without the ``Q("...")`` wrapper.

Columns with spaces or operators in their names (``"age group"``) cannot be
recognised inside a formula; quote them with ``Q("age group")``.

Categorical predictors use treatment contrasts with the *first* level as the
reference, as R does: pandas categoricals keep their category order, other
columns are sorted (R's ``factor()``).  The design matrix is structurally full
rank the way patsy and R's ``model.matrix`` make it (``~ 0 + g`` keeps every
level; an interaction without its main effect gets the full coding), and terms
are ordered as patsy orders them (categorical terms first, then the terms of
each numeric variable).  Rows with a missing value in any variable of the
formula are dropped (R's ``na.omit``); their positions are reported.

Column types, as ``load_wave`` produces them, read the same as their plain
versions: nullable ``boolean`` (select-all options), ``Int64`` and ``Float64``
are 0/1 or numeric columns named after the column (``barriers_price``), with
``<NA>`` missing (the row is dropped, as for NaN; never read as False);
``string``/``str`` text is a factor with sorted levels, like object strings.
A numpy ``bool`` column is a factor with levels ``False, True``
(``hard[T.True]``), as patsy read it.  Inside ``C()`` every dtype is a factor
of its values, so ``C(sex)`` names its levels ``C(sex)[T.2]`` whether ``sex``
holds ``int64``, ``Int64`` or a categorical of integers.

Every factor is handed to formulaic as a pandas Categorical coded once over
its unique values (``pd.factorize``), never per cell, and a model refitted on
new data (``predict``, marginal effects) takes the fitted levels: a value the
model was not fitted on is an error naming the column, never a silent zero.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula
from formulaic.errors import DataMismatchWarning, FormulaicError
from formulaic.materializers import PandasMaterializer
from interface_meta import override  # formulaic's materializers require it on overrides

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
# ``C(name)`` or ``C(name, contrasts...)``: the column enters as a factor only.
_C_CALL = re.compile(r"C\(\s*([^\W\d][\w]*)\s*(?:,(.*))?\)", re.DOTALL)
# formulaic's settings for every matrix: patsy's/R's full-rank coding, NA rows
# dropped, patsy's term order (terms grouped by their numeric factors).
_SPEC = {"output": "numpy", "na_action": "drop", "ensure_full_rank": True,
         "cluster_by": "numerical_factors"}
# Rows per block when the design matrix is assembled: one block of every column
# stays in cache (numpy.stack writes each column across the whole matrix).
_FILL_ROWS = 16384


class _BlockMaterializer(PandasMaterializer):
    """formulaic's pandas materializer, its numpy matrix assembled block by block.

    Not registered with formulaic (no ``REGISTER_NAME`` of its own): only this
    module uses it, for the frames it prepares.
    """

    @override
    def _get_columns_for_term(self, factors: list[dict[str, Any]], spec: Any,
                              scale: float = 1) -> dict[str, Any]:
        # One factor (a numeric column or one factor's dummies) at scale 1: its columns
        # as they are; formulaic would copy each and multiply it by 1 (the matrix copies).
        if spec.output == "numpy" and scale == 1 and len(factors) == 1:
            return dict(factors[0])
        return super()._get_columns_for_term(factors, spec, scale)

    @override
    def _combine_columns(self, cols: Any, spec: Any, drop_rows: Any) -> Any:
        arrays = [np.asarray(values) for _, values in cols]
        if (spec.output != "numpy" or not arrays or any(
                a.ndim != 1 or a.shape != arrays[0].shape or a.dtype.kind not in "biuf"
                for a in arrays)):
            return super()._combine_columns(cols, spec, drop_rows)
        n = arrays[0].shape[0]
        out = np.empty((n, len(arrays)), dtype=np.result_type(*arrays))
        for start in range(0, n, _FILL_ROWS):
            block = out[start:start + _FILL_ROWS]
            for j, a in enumerate(arrays):
                block[:, j] = a[start:start + _FILL_ROWS]
        return out


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
    rhs_spec : formulaic.ModelSpec
        Kept to rebuild the design matrix for new data (``predict``).
    rename : dict
        Original column name -> alias used inside the formula.
    column_variables : dict
        Coefficient name -> the formula factors it is built from.
    response_levels : list or None
        For a categorical response turned into 0/1: ``[failure, success]``.
    factor_levels : dict
        Column (alias) read as a factor -> its levels in the fit, so new data
        is coded on the same levels.
    """

    formula: str
    rows: np.ndarray
    X: np.ndarray
    columns: list[str]
    y: np.ndarray | None
    rhs_spec: Any
    rename: dict[str, str] = field(default_factory=dict)
    column_variables: dict[str, list[str]] = field(default_factory=dict)
    response_levels: list[Any] | None = None
    factor_levels: dict[str, tuple[Any, ...]] = field(default_factory=dict)

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
        An R-style formula, e.g. ``"api00 ~ api.stu + stype"``.
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
    # Odd parts are string literals; leave them for Q().
    out = [part if i % 2 else _TOKEN.sub(repl, part) for i, part in enumerate(parts)]
    return "".join(out), rename


def _literal_spellings(formula: str) -> dict[Any, str]:
    """String literal value -> its spelling in ``formula`` (``"t2"`` stays double-quoted).

    formulaic re-renders the Python code of a factor (``ast.unparse``), which
    turns ``Treatment("t2")`` into ``Treatment('t2')``; patsy kept the user's
    spelling, and so do the coefficient names here.
    """
    out: dict[Any, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(formula).readline):
            if tok.type == tokenize.STRING:
                out.setdefault(ast.literal_eval(tok.string), tok.string)
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass  # an unbalanced formula fails in formulaic with its own message
    return out


def _respell(name: str, spellings: dict[Any, str]) -> str:
    if not spellings or "'" not in name and '"' not in name:
        return name

    def repl(match: re.Match[str]) -> str:
        try:
            return spellings.get(ast.literal_eval(match.group(0)), match.group(0))
        except (SyntaxError, ValueError):
            return match.group(0)

    return _STRING.sub(repl, name)


def _restore(name: str, rename: dict[str, str], spellings: dict[Any, str] | None = None
             ) -> str:
    name = _QUOTED.sub(lambda m: m.group(2), _respell(name, spellings or {}))
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


def _parse(formula: str, data: pd.DataFrame) -> Any:
    try:
        return Formula(formula)
    except FormulaicError as err:
        raise _formula_error(err, formula, data) from None


def _factor_exprs(parsed: Any) -> list[tuple[str, bool]]:
    """``(expr, is_bare_name)`` for every factor of a parsed formula, both sides."""
    parts = [p for p in (getattr(parsed, "lhs", None), getattr(parsed, "rhs", None))
             if p is not None] or [parsed]
    return [(f.expr, f.eval_method.value == "lookup")
            for part in parts for term in part for f in term.factors]


def _factor_uses(parsed: Any, columns: set[str]) -> tuple[set[str], set[str], set[str]]:
    """Columns of the formula by how they are used.

    Returns
    -------
    bare : set
        Named on their own (``g`` in ``y ~ g + x:g``).
    called : set
        First argument of ``C()`` (``g`` in ``C(g, Treatment("b"))``).
    other : set
        Inside any other expression (``I(x**2)``, ``Q("a.b")``, ``x.isin(..)``).
    """
    bare: set[str] = set()
    called: set[str] = set()
    other: set[str] = set()
    for expr, is_bare in _factor_exprs(parsed):
        if is_bare:
            bare.add(expr)
            continue
        call = _C_CALL.fullmatch(expr)
        if call is not None:
            called.add(call.group(1))
            other.update(_formula_names(call.group(2) or ""))
        else:
            other.update(_formula_names(expr))
    return bare & columns, called & columns, other & columns


def _is_text(col: pd.Series) -> bool:
    if isinstance(col.dtype, pd.StringDtype):
        return True
    return pd.api.types.is_object_dtype(col.dtype) and \
        pd.api.types.infer_dtype(col, skipna=True) == "string"


def _reads_as_factor(col: pd.Series) -> bool:
    """A bare column that is a factor: text, categorical or numpy bool (as patsy read them)."""
    return isinstance(col.dtype, pd.CategoricalDtype) or col.dtype == np.dtype(bool) \
        or _is_text(col)


def _as_factor(col: pd.Series, name: str, levels: tuple[Any, ...] | None
               ) -> tuple[pd.Categorical, tuple[Any, ...]]:
    """``col`` as a Categorical, coded on its unique values (never per cell).

    Parameters
    ----------
    col : Series
        The column, any dtype; missing values stay missing.
    name : str
        Its name in the formula, for the error message.
    levels : tuple or None
        None: a categorical's own categories, ``(False, True)`` for numpy bool
        (patsy's levels), else the sorted observed values (R's ``factor()``).
        Otherwise the levels of the fit; a value outside them is an error.

    Returns
    -------
    values : Categorical
    levels : tuple
        The levels used.
    """
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        uniques = dtype.categories
    else:
        codes, uniques = pd.factorize(col, use_na_sentinel=True)
    if levels is None:
        if isinstance(dtype, pd.CategoricalDtype):
            return col.array, tuple(uniques)
        if dtype == np.dtype(bool):
            levels = (False, True)
        else:
            levels = tuple(sorted(uniques.tolist()))
    # Object categories: the levels' own types (1 stays 1, "a" stays "a").
    categories = pd.Index(list(levels), dtype=object)
    lookup = categories.get_indexer(pd.Index(list(uniques), dtype=object))
    unseen = lookup < 0
    if unseen.any() and isinstance(dtype, pd.CategoricalDtype):
        # A category with no row is no new value (factorize only lists values present).
        unseen &= np.bincount(codes + 1, minlength=len(uniques) + 1)[1:] > 0
    if unseen.any():
        new = sorted(map(str, np.asarray(uniques, dtype=object)[unseen]))[:5]
        raise ModelError(f"{name!r} has value(s) {new} that the model was not fitted on",
                         column=name, hint=f"use the fitted levels {list(levels)}")
    mapped = np.where(codes >= 0, lookup[np.maximum(codes, 0)], -1) if len(lookup) \
        else np.full(len(codes), -1)
    return pd.Categorical.from_codes(mapped, categories=_tidy_index(categories)), levels


def _tidy_index(categories: pd.Index) -> pd.Index:
    """Object categories in their natural dtype (int levels as int64, for names)."""
    inferred = pd.api.types.infer_dtype(categories, skipna=False)
    if inferred in ("integer", "floating", "boolean"):
        return pd.Index(categories.tolist())
    return categories


def _numeric_safe(col: pd.Series) -> pd.Series | None:
    """``col`` in a dtype formulaic reads with the same meaning, or None if it reads it as is.

    Nullable ``boolean``/``Int64``/``Float64`` become float64 (``<NA>`` -> NaN, a
    missing value, so the row is dropped as for NaN, never read as False); the
    ``string`` dtypes and object columns holding ``pd.NA`` become object arrays
    with NaN, so expressions on them (``x == "a"``) give plain booleans.
    """
    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return None
    if isinstance(dtype, pd.StringDtype):
        values = col.to_numpy(dtype=object, na_value=np.nan)
    elif isinstance(dtype, pd.api.extensions.ExtensionDtype):
        if not (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype)):
            return None
        values = col.to_numpy(dtype="float64", na_value=np.nan)
    elif pd.api.types.is_object_dtype(dtype):
        missing = col.isna().to_numpy()
        if not missing.any():
            return None
        values = col.to_numpy(dtype=object, copy=True)
        values[missing] = np.nan
    else:
        return None
    # An explicit dtype: pandas would re-infer "str" from object strings.
    return pd.Series(values, index=col.index, dtype=values.dtype)


def _formulaic_frame(frame: pd.DataFrame, parsed: Any, names: set[str],
                     levels: dict[str, tuple[Any, ...]] | None
                     ) -> tuple[pd.DataFrame, dict[str, tuple[Any, ...]]]:
    """``frame`` with the formula's columns in the dtypes formulaic reads correctly and fast.

    Parameters
    ----------
    frame : DataFrame
        The data (with any aliases), not modified.
    parsed : formulaic Formula
        The parsed formula, to tell factors from other uses of a column.
    names : set of str
        Names in the formula; only these columns are converted, so wide survey
        frames cost nothing extra.
    levels : dict or None
        The fit's factor levels (new data), or None to take them from the data.

    Returns
    -------
    frame : DataFrame
    levels : dict
        Column -> levels of each column coded as a factor.
    """
    columns = {str(c) for c in frame.columns} & names
    bare, called, other = _factor_uses(parsed, columns)
    convert: dict[str, Any] = {}
    used: dict[str, tuple[Any, ...]] = {}
    for c in sorted(columns):
        col = frame[c]
        # A factor wherever it appears (never also in arithmetic): coded once.
        factor = c not in other and (c in called or c in bare) and \
            (c not in bare or _reads_as_factor(col))
        if factor:
            convert[c], used[c] = _as_factor(col, c, None if levels is None else levels.get(c))
            continue
        new = _numeric_safe(col)
        if new is not None:
            convert[c] = new
    return (frame.assign(**convert) if convert else frame), used


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
    return rewritten, rename, frame


def _column_variables(spec: Any, rename: dict[str, str], spellings: dict[Any, str]
                      ) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in spec.structure:
        names = [_restore(f.expr, rename, spellings) for f in part.term.factors
                 if f.eval_method.value != "literal"]
        for col in part.columns:
            out[_restore(col, rename, spellings)] = names
    return out


def _formula_error(err: Exception, formula: str, data: pd.DataFrame) -> ModelError:
    # formulaic marks the offending token with terminal colours; keep the text.
    text = re.sub(r"\x1b\[[0-9;]*m|[⧛⧚]", "", str(err)).strip().splitlines()[0]
    missing = re.search(r"name '([^']+)' is not defined|`([^`]+)` is not present", str(err))
    column = next((g for g in missing.groups() if g), None) if missing else None
    hint = "check the spelling of the columns; quote unusual names as Q(\"name\")"
    if column is not None:
        close = [c for c in map(str, data.columns) if c.lower().replace(".", "_")
                 == column.lower().replace(".", "_")]
        if close:
            hint = f"did you mean {close[0]!r}? quote it as Q({close[0]!r})"
    return ModelError(f"cannot evaluate formula {formula!r}: {text}", column=column,
                      hint=hint)


def _materialize(spec: Any, frame: pd.DataFrame, formula: str, data: pd.DataFrame
                 ) -> tuple[Any, np.ndarray]:
    """Model matrices of ``spec`` (a parsed formula or a fitted ModelSpec) on ``frame``.

    Returns the matrices and the row positions kept.  A ModelSpec carries the
    settings of its fit (``_SPEC``); passing them again would make formulaic
    drop ``drop_rows``.
    """
    drop: set[int] = set()
    overrides = _SPEC if isinstance(spec, Formula) else {}
    try:
        with warnings.catch_warnings():
            # formulaic turns an unknown level into NaN with a warning; here it is
            # an error (our own check catches it first for the columns it codes).
            warnings.simplefilter("error", DataMismatchWarning)
            # The materializer itself: formulaic's ModelSpecs (two-sided formulas)
            # do not pass ``drop_rows`` on, and it is how the kept rows are known.
            materializer = _BlockMaterializer(frame, context={"np": np})
            mm = materializer.get_model_matrix(spec, drop_rows=drop, **overrides)
    except (FormulaicError, NameError, DataMismatchWarning) as err:
        raise _formula_error(err, formula, data) from None
    keep = np.ones(len(frame), dtype=bool)
    if drop:
        keep[np.fromiter(drop, dtype=np.int64, count=len(drop))] = False
    return mm, np.flatnonzero(keep).astype(np.int64)


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
        The design matrix, response, kept rows and coefficient names, with
        what is needed to rebuild the matrix for new data.

    Raises
    ------
    ModelError
        If the formula does not evaluate or the response is not numeric.
    """
    rewritten, rename, frame = _prepare(formula, data)
    parsed = _parse(rewritten, data)
    frame, levels = _formulaic_frame(frame, parsed, _formula_names(rewritten + " " + formula),
                                     None)
    mm, rows = _materialize(parsed, frame, formula, data)
    spellings = _literal_spellings(formula)
    two_sided = hasattr(parsed, "lhs") and len(parsed.lhs) > 0
    xmat = mm.rhs if two_sided else getattr(mm, "rhs", mm)
    y = None
    response_levels = None
    if two_sided:
        y, response_levels = _response(mm.lhs, formula, rename, spellings, binary_response)
    spec = xmat.model_spec
    columns = [_restore(c, rename, spellings) for c in spec.column_names]
    X = np.asarray(xmat, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(rows):  # a formula of constants only
        X = np.broadcast_to(X.reshape(1, -1), (len(rows), len(columns))).copy()
    return ModelFrame(formula=formula, rows=rows, X=np.ascontiguousarray(X),
                      columns=columns, y=y, rhs_spec=spec, rename=rename,
                      column_variables=_column_variables(spec, rename, spellings),
                      response_levels=response_levels, factor_levels=levels)


def _response(ymat: Any, formula: str, rename: dict[str, str], spellings: dict[Any, str],
              binary: bool) -> tuple[np.ndarray, list[Any] | None]:
    arr = np.asarray(ymat, dtype=float)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.shape[1] == 1:
        return arr[:, 0].copy(), None
    names = [_restore(c, rename, spellings) for c in ymat.model_spec.column_names]
    if binary and arr.shape[1] == 2:
        # A categorical response is coded with one indicator per level.
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

    Factors are coded on the levels of the fit, so a subset of them still lines
    up; a value the model was not fitted on is a :class:`ModelError`.

    Parameters
    ----------
    frame : ModelFrame
        The fit's model frame (:func:`build_model_frame`).
    newdata : DataFrame
        Rows to build the matrix for; it needs every predictor column (its
        index is ignored: rows are reported by position).

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
    spec = frame.rhs_spec
    renamed, _ = _formulaic_frame(renamed, spec.formula,
                                  _formula_names(frame.formula) | set(present.values()),
                                  frame.factor_levels)
    try:
        xmat, rows = _materialize(spec, renamed, frame.formula, newdata)
    except ModelError as err:
        raise ModelError(f"cannot build the model matrix for `newdata`: {err.message}",
                         column=err.column,
                         hint="newdata needs every predictor column, with levels seen in the fit"
                         ) from None
    X = np.asarray(xmat, dtype=float)
    if X.ndim != 2 or X.shape[0] != len(rows):
        X = np.broadcast_to(X.reshape(1, -1), (len(rows), len(spec.column_names))).copy()
    return X, rows
