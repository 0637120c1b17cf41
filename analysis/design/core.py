"""``Design``: the sampling design every estimate goes through (the core class).

A design couples the survey frame with its weights, strata, PSUs (one column
per stage), finite-population corrections and the lonely-PSU rule.  It is
immutable: weighting and subsetting return new designs sharing the factorised
structure, so a design built once on 10^6 rows answers estimates in
milliseconds.

``Design`` holds the structure and the variance, nothing else:
:meth:`Design.vcov_scores` is R ``survey``'s (4.1.1) Taylor linearisation
(:mod:`analysis.design.variance`), including its full multistage formula when
fpc is given for the stages, domains that keep the whole design and the
calibration residuals of weighted designs; :meth:`Design.replicate_vcov` is
R's ``svrVar`` for replicate designs (built by
:func:`analysis.design.replicates.from_replicates` and
:func:`~analysis.design.replicates.to_replicates`).  The estimate, weight,
models and pricing families type against this class; the user-facing
:class:`analysis.survey.SurveyDesign` subclasses it and adds their verbs as
methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self, TypeVar

import numpy as np
import pandas as pd

from .._validation import as_column_list, check_argument, check_columns, check_weights
from ..codebook import Codebook
from ..errors import DesignError, WeightError
from . import pps as _pps
from . import variance as _variance

__all__ = ["Design", "DesignT"]

# Functions that return the design they are given, subclass included (SurveyDesign).
DesignT = TypeVar("DesignT", bound="Design")

_FROZEN_MSG = "Design is immutable; use with_weights(), subset() or the weighting methods"


class Design:
    """A complex survey design (R's ``svydesign``).

    Parameters
    ----------
    data : DataFrame
        One row per respondent.  Kept by reference, not copied.
    weights : str, optional
        Sampling-weight column; ``None`` gives every row weight 1.
    strata : str or list of str, optional
        Stratum column (one per stage for multistage designs; the last one is
        reused for later stages).
    psu : str or list of str, optional
        Cluster id column(s), one per sampling stage; ``None`` makes every row
        its own PSU.
    fpc : str or list of str, optional
        Finite-population correction per stage: the population number of PSUs
        in the stratum (values > 1) or the sampling fraction (values <= 1), as
        in R.  With an fpc for later stages the variance is R's full
        multistage variance; without fpc it is the ultimate-cluster variance.
    nest : bool, default False
        PSU ids repeat across strata (make them unique within stratum).
    lonely_psu : {"fail", "remove", "adjust", "average", "certainty"}
        What to do with a stratum holding a single PSU (R's
        ``options(survey.lonely.psu=)``): raise, drop its contribution, centre
        it at the grand mean, replace it by the average of the other strata,
        or treat it as sampled with certainty.
    freq_weights : str, optional
        Frequency-weight column (Stata's ``fweight``): row ``i`` stands for
        ``f_i`` identical respondents, e.g. a table of counts.  Every estimate
        and standard error equals the one on the expanded rows (each row
        repeated ``f_i`` times) with the same design: the variance sums over
        the ``sum(f)`` units (per stratum), and :meth:`degf` counts them.
        With ``weights`` as well, each of the ``f_i`` units carries the
        sampling weight ``w_i``, so :attr:`weights` holds ``w_i * f_i``.  With
        ``psu`` the copies stay in their row's cluster (cluster totals, and so
        the variance and df, are those of the expanded rows).
    pps : {"brewer", "HR"}, ("HR", psum), ndarray, optional
        Sampling with probability proportional to size without replacement
        (R's ``svydesign(..., pps=)``); ``fpc`` then holds each PSU's
        inclusion probability and the weights default to its inverse.
        ``"brewer"``: Brewer's approximation; a square matrix of joint
        inclusion probabilities (PSUs in data order, R's ``ppsmat``): the
        exact Horvitz-Thompson variance; ``"HR"`` or ``("HR", psum)``:
        Hartley-Rao's approximation (``psum`` the population ``sum(pi^2)/n``,
        a number or ``{stratum: value}``; default the mean sampled
        probability, R's ``HR()``).  One sampling stage.  For sampling with
        replacement pass ``weights`` = 1/probability and no fpc.
    variance : {"HT", "YG"}
        With a joint matrix or ``"HR"``: the Horvitz-Thompson or Yates-Grundy
        form (R's ``variance=``).

    Raises
    ------
    DesignError
        Unknown columns, missing strata/PSU/fpc values, PSUs not nested in
        strata (hint: ``nest=True``), fpc inconsistent with the sample.
    WeightError
        Missing, infinite, zero or negative weights (the rows are listed);
        frequency weights that are not whole numbers >= 1.
    LonelyPSUError
        A stratum with one PSU under ``lonely_psu="fail"`` (the stratum is named).

    Warns
    -----
    DataQualityWarning
        ``weights`` look like cell counts of a small table (whole numbers, not
        all equal, at least 5 on average, at most 1000 rows): sampling weights give
        standard errors for only ``n`` rows.  Pass them as ``freq_weights``.

    Examples
    --------
    >>> d = Design(apistrat, weights="pw", strata="stype", fpc="fpc")  # doctest: +SKIP
    >>> d.mean("api00").summary_frame()                                    # doctest: +SKIP
    >>> table = pd.DataFrame({"buy": [1, 1, 0, 0], "city": ["a", "b", "a", "b"],
    ...                       "n": [120, 80, 300, 500]})                   # doctest: +SKIP
    >>> Design(table, freq_weights="n").proportion("buy")            # doctest: +SKIP
    """

    # State set by _init (object.__setattr__: the design is frozen).
    _data: pd.DataFrame
    _weights: np.ndarray
    _weight_column: str | None
    _strata_columns: list[str]
    _psu_columns: list[str]
    _fpc_columns: list[str]
    _nest: bool
    _lonely_psu: str
    _structure: _variance.DesignStructure | None
    _calibrations: tuple[Any, ...]
    _domain: np.ndarray | None
    _replicate: dict[str, Any] | None
    _freq_weight_column: str | None
    _freq: np.ndarray | None
    _pps: _pps.PPSVariance | None
    _cache: dict[Any, Any]
    _frozen: bool

    # ------------------------------------------------------------------ construction
    def __init__(
        self,
        data: pd.DataFrame,
        weights: str | None = None,
        strata: str | Sequence[str] | None = None,
        psu: str | Sequence[str] | None = None,
        fpc: str | Sequence[str] | None = None,
        nest: bool = False,
        lonely_psu: str = "fail",
        freq_weights: str | None = None,
        pps: Any = None,
        variance: str = "HT",
    ) -> None:
        if not isinstance(data, pd.DataFrame):
            raise TypeError(f"`data` must be a pandas DataFrame, not {type(data).__name__}")
        check_argument("lonely_psu", _variance.LONELY_PSU_RULES, lonely_psu)
        if weights is not None and not isinstance(weights, str):
            raise TypeError(f"`weights` must be a column name or None, not {weights!r}")
        if freq_weights is not None and not isinstance(freq_weights, str):
            raise TypeError(f"`freq_weights` must be a column name or None, not {freq_weights!r}")
        if freq_weights is not None and freq_weights == weights:
            raise DesignError(f"column {freq_weights!r} is given as both `weights` and "
                              "`freq_weights`", column=freq_weights,
                              hint="counts of identical rows go in freq_weights only; weights= "
                                   "is for sampling weights per respondent")
        strata_cols = as_column_list("strata", strata)
        psu_cols = as_column_list("psu", psu)
        fpc_cols = as_column_list("fpc", fpc)
        check_columns(data, [weights] if weights else [], "weights")
        check_columns(data, [freq_weights] if freq_weights else [], "freq_weights")
        check_columns(data, strata_cols, "strata")
        check_columns(data, psu_cols, "psu")
        check_columns(data, fpc_cols, "fpc")
        if len(data) == 0:
            raise DesignError("the data have no rows", hint="build the design on a non-empty frame")
        if weights is None:
            w = np.ones(len(data))  # replaced by 1/pi from fpc below, as R does
        else:
            col = data[weights]
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                raise WeightError(f"weight column {weights!r} is not numeric ({col.dtype})",
                                  column=weights, hint="convert the weights to float")
            w = check_weights(col.to_numpy(dtype="float64", na_value=np.nan), data.index,
                              name=weights)
            if freq_weights is None:
                _variance.warn_if_counts(w, weights)
        freq = None if freq_weights is None else _variance.freq_counts(data, freq_weights)
        if psu_cols and data[psu_cols[0]].nunique() == 1 and not (nest and strata_cols):
            raise DesignError("the design has only one primary sampling unit",
                              column=psu_cols[0], hint="check the psu column, or pass psu=None")
        # PPS: the fpc holds probabilities that vary within strata, read by build_pps
        structure = _variance.build_structure(data, strata=strata_cols, psu=psu_cols,
                                              fpc=[] if pps is not None else fpc_cols,
                                              nest=bool(nest), lonely_psu=lonely_psu, freq=freq)
        pps_spec = None
        if pps is not None:
            method, psum = (pps[0], pps[1]) if isinstance(pps, tuple) else (pps, None)
            first = structure.first
            pps_spec = _pps.build_pps(data, method, variance, fpc_cols, first.cluster,
                                      first.stratum_code, len(psu_cols), psum,
                                      strata_cols[0] if strata_cols else None)
            if weights is None:
                w = 1.0 / pps_spec.prob[first.cluster]
        elif weights is None and fpc_cols:
            w = _variance.fpc_weights(structure)
        if freq is not None:
            w = w * freq  # the row's f units each carry the sampling weight
        self._init(data=data, weights=w, weight_column=weights, strata_columns=strata_cols,
                   psu_columns=psu_cols, fpc_columns=fpc_cols, nest=bool(nest),
                   lonely_psu=lonely_psu, structure=structure, calibrations=(), domain=None,
                   replicate=None, freq_weight_column=freq_weights, freq=freq, pps=pps_spec)
        # per-design facts every estimate asks for, found here rather than in the first call
        self._cache[("positive_weights",)] = positive = w > 0
        self._cache[("all_positive",)] = bool(positive.all())

    def _init(self, **state: Any) -> None:
        for key, value in state.items():
            object.__setattr__(self, "_" + key, value)
        object.__setattr__(self, "_cache", {})
        object.__setattr__(self, "_frozen", True)

    def _evolve(self, **changes: Any) -> Self:
        """A new design with some state replaced (structure shared, nothing copied)."""
        keys = ("data", "weights", "weight_column", "strata_columns", "psu_columns",
                "fpc_columns", "nest", "lonely_psu", "structure", "calibrations", "domain",
                "replicate", "freq_weight_column", "freq", "pps")
        # replicate designs are made without PPS state (replicates.py)
        state = {k: getattr(self, "_" + k, None) for k in keys}
        state.update(changes)
        new = object.__new__(type(self))
        new._init(**state)
        return new

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_frozen", False):
            raise AttributeError(_FROZEN_MSG)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        raise AttributeError(_FROZEN_MSG)

    # ------------------------------------------------------------------ accessors
    @property
    def data(self) -> pd.DataFrame:
        """The survey frame (shared, not copied)."""
        return self._data

    @property
    def codebook(self) -> Codebook | None:
        """The codebook the reader attached to the data (parsed once), or ``None``."""
        if not self._data.attrs.get("codebook_json"):
            return None
        return Codebook.from_frame(self._data)

    @property
    def weights(self) -> np.ndarray:
        """Analysis weights of the rows (float64; zero outside a subset's domain).

        With frequency weights a row's weight is the total of its units:
        sampling weight (1 without ``weights``) times the count.
        """
        return self._weights

    @property
    def weight_series(self) -> pd.Series:
        """Weights as a Series on the data's index."""
        return pd.Series(self._weights, index=self._data.index, name=self._weight_column or "weights")

    @property
    def weight_column(self) -> str | None:
        """Name of the weight column the design was built from (None: all 1)."""
        return self._weight_column

    @property
    def freq_weight_column(self) -> str | None:
        """Name of the frequency-weight (count) column, or None."""
        return self._freq_weight_column

    @property
    def freq_weights(self) -> np.ndarray:
        """Respondents each row stands for (float64; all 1 without ``freq_weights``)."""
        return np.ones(self.n) if self._freq is None else self._freq

    @property
    def n_units(self) -> int:
        """Number of respondents, ``sum(freq_weights)`` (:attr:`n` without them)."""
        return self.n if self._freq is None else int(round(float(self._freq.sum())))

    @property
    def strata_columns(self) -> list[str]:
        """Stratum column(s)."""
        return list(self._strata_columns)

    @property
    def psu_columns(self) -> list[str]:
        """Cluster id column(s), one per stage (empty: each row a PSU)."""
        return list(self._psu_columns)

    @property
    def fpc_columns(self) -> list[str]:
        """Finite-population-correction column(s)."""
        return list(self._fpc_columns)

    @property
    def nest(self) -> bool:
        """Whether PSU ids were nested in strata."""
        return self._nest

    @property
    def n(self) -> int:
        """Number of rows, including rows outside a subset (respondents: :attr:`n_units`)."""
        return len(self._data)

    @property
    def lonely_psu(self) -> str:
        """Lonely-PSU rule."""
        return self._lonely_psu

    @property
    def calibrations(self) -> tuple[Any, ...]:
        """Calibrations applied so far (each has ``residualize(x, design)``)."""
        return self._calibrations

    @property
    def domain(self) -> np.ndarray | None:
        """Boolean mask of the rows in a subset design (None: all rows)."""
        return self._domain

    @property
    def is_replicate(self) -> bool:
        """Whether variances come from replicate weights."""
        return self._replicate is not None

    @property
    def is_pps(self) -> bool:
        """Whether variances use a PPS without-replacement formula (``pps=``)."""
        return self._pps is not None

    @property
    def structure(self) -> _variance.DesignStructure | None:
        """Factorised strata/PSU structure (None for replicate designs)."""
        return self._structure

    # replicate-design accessors ------------------------------------------
    def _rep(self, name: str) -> Any:
        if self._replicate is None:
            raise AttributeError(f"`{name}` exists only on replicate designs; "
                                 "see Design.from_replicates / to_replicates")
        return self._replicate[name]

    @property
    def repweights(self) -> np.ndarray:
        """Full replicate weights (n x R, sampling weight included; zero outside a domain)."""
        return self._rep("repweights")

    @property
    def rep_type(self) -> str:
        """Replicate type: ``"JK1"``, ``"JKn"``, ``"BRR"``, ``"Fay"`` or ``"bootstrap"``."""
        return self._rep("type")

    @property
    def scale(self) -> float:
        """Overall multiplier of the replicate variance."""
        return self._rep("scale")

    @property
    def rscales(self) -> np.ndarray:
        """Per-replicate multipliers."""
        return self._rep("rscales")

    @property
    def mse(self) -> bool:
        """Whether replicates are centred at the full-sample estimate."""
        return self._rep("mse")

    @property
    def rho(self) -> float | None:
        """Fay's rho (Fay/BRR designs)."""
        return self._rep("rho")

    def __repr__(self) -> str:
        parts = [f"n={self.n}"]
        if self.is_replicate:
            parts.append(f"{self.rep_type} with {self.repweights.shape[1]} replicates")
        else:
            assert self._structure is not None  # Taylor designs (not replicate) always have one
            st = self._structure.first
            if self._strata_columns:
                parts.append(f"strata={self._strata_columns} ({st.n_strata})")
            if self._psu_columns:
                parts.append(f"psu={self._psu_columns} ({st.n_clusters} PSUs)")
            if self._fpc_columns:
                parts.append(f"fpc={self._fpc_columns}")
            parts.append(f"lonely_psu={self._lonely_psu!r}")
        parts.append(f"weights={self._weight_column!r}")
        if self._freq_weight_column is not None:
            parts.append(f"freq_weights={self._freq_weight_column!r} ({self.n_units} units)")
        if self._domain is not None:
            parts.append(f"domain of {int(self._domain.sum())} rows")
        if self._calibrations:
            parts.append(f"{len(self._calibrations)} calibration(s)")
        return f"<Design {', '.join(parts)}>"

    # ------------------------------------------------------------------ structure ops
    def with_weights(self, weights: np.ndarray | pd.Series, calibration: Any = None,
                     repweights: np.ndarray | None = None) -> Self:
        """A new design with the same structure and new weights.

        Parameters
        ----------
        weights : array-like, shape (n,)
            New analysis weights (finite, >= 0).
        calibration : object, optional
            Appended to :attr:`calibrations`; its ``residualize(x, design)``
            is applied to scores before the Taylor variance, so SEs account
            for the weighting (R's ``postStrata`` in ``svyrecvar``).
        repweights : ndarray, shape (n, R), optional
            New replicate weights for a replicate design (re-weighted
            replicates).  Without it the old replicate weights are scaled by
            ``new / old`` weight row by row.

        Returns
        -------
        Design
            A design of the same class; weights outside a domain stay zero.
        """
        w = np.asarray(weights, dtype="float64").ravel()
        if w.shape[0] != self.n:
            raise WeightError(f"new weights have length {w.shape[0]}, the design has {self.n} rows",
                              hint="pass one weight per row of design.data")
        w = check_weights(w, self._data.index, allow_zero=True, name="weights")
        if self._domain is not None:
            w = np.where(self._domain, w, 0.0)
        cals = self._calibrations + ((calibration,) if calibration is not None else ())
        rep = self._replicate
        if rep is not None:
            rep = dict(rep)
            if repweights is None:
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(self._weights > 0, w / self._weights, 0.0)
                rep["repweights"] = rep["repweights"] * ratio[:, None]
            else:
                rw = np.asarray(repweights, dtype="float64")
                if rw.shape != rep["repweights"].shape:
                    raise WeightError(f"repweights have shape {rw.shape}, expected "
                                      f"{rep['repweights'].shape}")
                rep["repweights"] = rw
        elif repweights is not None:
            raise TypeError("`repweights` is only meaningful for a replicate design")
        return self._evolve(weights=w, calibrations=cals, replicate=rep)

    def update(self, **columns: Any) -> Self:
        """A new design with columns added or replaced (R's ``update(design, ...)``).

        Weights, calibrations, domain and replicate weights are kept, so a
        variable derived after weighting still gets calibrated SEs.

        Parameters
        ----------
        **columns
            ``name=values``: array-likes of length ``n``, or callables taking
            the data frame (as ``DataFrame.assign``).

        Returns
        -------
        Design
            A design of the same class on the updated data.

        Raises
        ------
        DesignError
            If a design column (weights, strata, PSU, fpc) would be replaced,
            or a value has the wrong length.
        """
        protected = set(self._strata_columns) | set(self._psu_columns) | set(self._fpc_columns)
        protected |= {c for c in (self._weight_column, self._freq_weight_column) if c}
        clash = sorted(protected & set(columns))
        if clash:
            raise DesignError(f"update() cannot replace design column(s) {clash}", column=clash[0],
                              hint="build a new Design to change the design itself")
        for name, value in columns.items():
            if not callable(value) and np.ndim(value) > 0 and len(value) != self.n:
                raise DesignError(f"column {name!r} has {len(value)} values; the design has {self.n} rows",
                                  column=name)
            if isinstance(value, pd.Series) and not value.index.equals(self._data.index):
                columns[name] = value.to_numpy()  # align by position, as the rows are the design's
        return self._evolve(data=self._data.assign(**columns))

    def subset(self, mask: np.ndarray | pd.Series | Sequence[bool]) -> Self:
        """A domain: rows outside ``mask`` get zero weight, the design is kept.

        This is R's ``subset(design, ...)``: estimates on the result are
        domain estimates whose variance uses every stratum and PSU of the full
        design (not a re-built design on the subset rows).

        Parameters
        ----------
        mask : array-like of bool, shape (n,)
            Rows to keep; missing values count as False.

        Returns
        -------
        Design
            The domain design (nested in any earlier domain).
        """
        if isinstance(mask, pd.Series):
            if not mask.index.equals(self._data.index):
                mask = mask.reindex(self._data.index)
            m = mask.fillna(False).to_numpy(dtype=bool)
        else:
            m = pd.array(np.asarray(mask), dtype="boolean").fillna(False).to_numpy(dtype=bool)
        if m.shape[0] != self.n:
            raise DesignError(f"subset mask has {m.shape[0]} entries, the design has {self.n} rows",
                              hint="build the mask from design.data")
        dom = m if self._domain is None else (m & self._domain)
        w = np.where(dom, self._weights, 0.0)
        rep = self._replicate
        if rep is not None:
            rep = dict(rep)
            rep["repweights"] = rep["repweights"] * dom[:, None]
        return self._evolve(weights=w, domain=dom, replicate=rep)

    # ------------------------------------------------------------------ variance
    def vcov_scores(self, scores: np.ndarray, *, domain: np.ndarray | None = None) -> np.ndarray:
        """Design covariance of the column totals of weighted scores.

        Parameters
        ----------
        scores : ndarray, shape (n,) or (n, k)
            Influence values times the weight (zero outside a domain).
        domain : ndarray of bool, optional
            Rows in the estimation domain.  Only the ``"average"`` lonely-PSU
            rule uses it (strata absent from the domain are not counted, as
            for R's subset designs).

        Returns
        -------
        ndarray, shape (k, k)
            Covariance of the ``k`` weighted score totals.

        Raises
        ------
        TypeError
            On a replicate design (use :meth:`replicate_vcov`).

        Notes
        -----
        Each calibration in :attr:`calibrations` first replaces the scores by
        their residuals, then the multistage stratified variance with fpc and
        the lonely-PSU rule is computed (R's ``svyrecvar``).
        """
        if self.is_replicate:
            raise TypeError("vcov_scores() needs a Taylor design; this is a replicate design: "
                            "compute replicate estimates and call design.replicate_vcov(theta_reps, theta)")
        x = np.asarray(scores, dtype="float64")
        if x.ndim == 1:
            x = x[:, None]
        if x.shape[0] != self.n:
            raise ValueError(f"scores have {x.shape[0]} rows, the design has {self.n}")
        for cal in self._variance_calibrations:
            x = np.asarray(cal.residualize(x, self), dtype="float64")
            if x.ndim == 1:
                x = x[:, None]
        pps = getattr(self, "_pps", None)
        if pps is not None:
            return _pps.pps_vcov(pps, x)
        assert self._structure is not None  # Taylor designs (not replicate) always have one
        return _variance.taylor_vcov(self._structure, x, lonely_psu=self._lonely_psu,
                                     present_rows=self._present(domain))

    @property
    def _variance_calibrations(self) -> tuple[Any, ...]:
        # Trimming records diagnostics only; R's trimWeights adds no calibration residuals.
        return tuple(c for c in self._calibrations if getattr(c, "affects_variance", True))

    def _present(self, domain: np.ndarray | None) -> np.ndarray | None:
        """Rows whose strata count for the ``average`` rule (R: subset rows)."""
        if self._lonely_psu != "average" or self._variance_calibrations:
            return None
        rows = self._domain
        if domain is not None:
            rows = domain if rows is None else (rows & domain)
        return rows

    def _vcov_grouped(self, values: np.ndarray, group: np.ndarray, n_groups: int,
                      domain: np.ndarray | None = None, full: bool = False) -> np.ndarray:
        """Covariance of scores laid out by group without an n x (G*k) matrix.

        ``values`` must be zero on rows outside every group (``group == -1``);
        ``full``: every row is in a group (the kept :meth:`cluster_cells` serve).
        """
        k = values.shape[1]
        if n_groups == 1:  # values are already zero outside the domain
            return self.vcov_scores(values, domain=domain)
        if self._variance_calibrations or getattr(self, "_pps", None) is not None:
            dense = np.zeros((self.n, n_groups * k))
            for g in range(n_groups):
                rows = group == g
                dense[rows, g * k:(g + 1) * k] = values[rows]
            return self.vcov_scores(dense, domain=domain)
        assert self._structure is not None  # Taylor designs (not replicate) always have one
        v = _variance.taylor_vcov(self._structure, lonely_psu=self._lonely_psu,
                                  present_rows=self._present(domain),
                                  grouped=(values, group, n_groups),
                                  cells=self.cluster_cells(group, n_groups) if full else None)
        if self._lonely_psu == "average":
            # R estimates each group on its own subset: its own stratum counts
            for g in range(n_groups):
                rows = group == g
                sub = np.where(rows[:, None], values, 0.0)
                blk = slice(g * k, (g + 1) * k)
                v[blk, blk] = _variance.taylor_vcov(
                    self._structure, sub, lonely_psu="average",
                    present_rows=self._present(rows if domain is None else rows & domain))
        return v

    def replicate_vcov(self, theta_reps: np.ndarray, theta: np.ndarray) -> np.ndarray:
        """Replicate covariance of estimates (R's ``svrVar``).

        Parameters
        ----------
        theta_reps : ndarray, shape (R, k)
            The estimate recomputed with each column of :attr:`repweights`.
        theta : ndarray, shape (k,)
            Full-sample estimate (centre when ``mse=True``).

        Returns
        -------
        ndarray, shape (k, k)
            Scaled sum of squared deviations of the replicate estimates.
        """
        if self._replicate is None:
            raise TypeError("replicate_vcov() needs a replicate design; use vcov_scores() "
                            "for a Taylor design")
        rep = self._replicate
        return _variance.svr_vcov(theta_reps, np.atleast_1d(theta), scale=rep["scale"],
                                  rscales=rep["rscales"], mse=rep["mse"])

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()``, computed once per design and key (the design is frozen).

        Estimators keep what depends on the design alone here (the
        factorisation of a ``by=`` column, say), so repeated estimates on a
        small survey do not pay for it again.

        Parameters
        ----------
        key : hashable
            What is cached; include the identity of any data it is derived from.
        compute : callable
            Called without arguments on the first request.

        Returns
        -------
        object
            The cached value.
        """
        if key in self._cache:
            return self._cache[key]
        if len(self._cache) > 256:  # by= on many groups: keep the cache bounded
            self._cache.clear()
        value = self._cache[key] = compute()
        return value

    @property
    def positive_rows(self) -> np.ndarray:
        """Rows with a positive weight (boolean mask, computed once per design)."""
        return self.memo(("positive_weights",), lambda: self._weights > 0)

    @property
    def all_positive(self) -> bool:
        """Whether every row has a positive weight (no subset or trimmed-out rows)."""
        return bool(self.memo(("all_positive",), lambda: bool(self.positive_rows.all())))

    def cluster_cells(self, group: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
        """Per stage, the (cluster, group) cell of every row: ``cluster * n_groups + group``.

        Domain estimates need them for the group-wise cluster totals and the
        groups' PSU counts; they depend on the design and the groups alone, so
        they are kept (``group`` must hold no ``-1``, and must not change).

        Parameters
        ----------
        group : ndarray of int64, shape (n,)
            Group code of every row, 0 .. ``n_groups - 1``.
        n_groups : int
            Number of groups.

        Returns
        -------
        tuple of ndarray of int64
            One array of cell codes per sampling stage.
        """
        assert self._structure is not None  # Taylor designs (not replicate) always have one
        stages = self._structure.stages
        def cells() -> tuple[np.ndarray, ...]:
            out = tuple(np.multiply(st.cluster, n_groups) for st in stages)
            for c in out:
                c += group
            return out

        return self.memo_on(group, ("cluster_cells", n_groups), cells)

    def memo_on(self, array: np.ndarray, key: Any, compute: Callable[[], Any]) -> Any:
        """:meth:`memo` of something derived from ``array``, keyed by its identity.

        The entry holds ``array`` itself, so its ``id`` cannot be reused by
        another array while the entry lives.

        Parameters
        ----------
        array : ndarray
            The (unchanging) array the value is derived from.
        key : hashable
            What is cached.
        compute : callable
            Called without arguments on the first request.

        Returns
        -------
        object
            The cached value.
        """
        held, value = self.memo((key, id(array)), lambda: (array, compute()))
        return value if held is array else compute()

    def degf(self, rows: np.ndarray | None = None) -> int:
        """Design degrees of freedom (R's ``degf``).

        Taylor designs: number of first-stage PSUs minus number of strata,
        counting only rows with non-zero weight (and in ``rows`` if given);
        with frequency weights and no ``psu`` every unit is a PSU, so the
        count is ``sum(freq_weights)`` over those rows.
        Replicate designs: rank of the replicate weights minus 1.

        Parameters
        ----------
        rows : ndarray of bool, optional
            Restrict to these rows (a domain).

        Returns
        -------
        int
            The degrees of freedom (cached per ``rows``).
        """
        key = ("degf", None if rows is None else hash(np.packbits(rows).tobytes()))
        if key in self._cache:  # before any n-row work: this is a per-estimate fixed cost
            return self._cache[key]
        if len(self._cache) > 256:  # by= on many groups: keep the cache bounded
            self._cache.clear()
        if rows is None and not self.is_replicate and self.all_positive:
            # every row counts: the structure alone gives the PSUs and strata (no n-row pass)
            assert self._structure is not None  # Taylor designs (not replicate) always have one
            st = self._structure.first
            psus = st.n_clusters if st.units is None else int(round(float(st.units.sum())))
            strata = np.count_nonzero(np.bincount(st.cluster_stratum, minlength=st.n_strata))
            self._cache[key] = value = int(psus - strata)
            return value
        inset = self._weights != 0
        if rows is not None:
            inset = inset & rows
        if self.is_replicate:
            value = _variance.replicate_degf(self.repweights, inset)
        else:
            assert self._structure is not None  # Taylor designs (not replicate) always have one
            st = self._structure.first
            strata = np.count_nonzero(np.bincount(st.stratum_code[inset], minlength=st.n_strata))
            value = int(st.count_clusters(inset) - strata)
        self._cache[key] = value
        return value
