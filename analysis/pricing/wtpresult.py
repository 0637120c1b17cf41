"""Mean / median willingness to pay with delta-method and Krinsky-Robb intervals.

The result type of every ``wtp()`` of the package (interval regressions,
DC-CV models, payment-card hurdles); re-exported by
:mod:`analysis.pricing.regression`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_probability
from ..design.results import result_frame, t_quantile

__all__ = ["WTPResult"]


class WTPResult:
    """Mean / median willingness to pay with delta-method and Krinsky-Robb intervals.

    Every ``wtp()`` of the package returns one (interval regressions, DC-CV
    models, payment-card hurdles).  ``n_draws`` (attribute) is the number of
    Krinsky-Robb draws.

    Parameters
    ----------
    estimate, se : Series
        Point estimates and design-based standard errors (delta method or
        replicates), indexed by statistic.
    df : float
        Degrees of freedom of the delta-method t intervals.
    dist : str
        The model's distribution.
    draws : DataFrame or None
        Krinsky-Robb draws of every statistic (one column each), if requested.
    seed : int or Generator, optional
        Seed of the draws.
    boot : DataFrame or None
        Each statistic recomputed from each bootstrap replicate's refit (one
        column each), for percentile intervals (R DCchoice ``bootCI``).
    """

    def __init__(self, estimate: pd.Series, se: pd.Series, df: float, dist: str, *,
                 draws: pd.DataFrame | None = None, seed: Any = None,
                 boot: pd.DataFrame | None = None) -> None:
        self.boot = boot
        self.estimate = estimate.astype(float).rename("estimate")
        self.se = se.astype(float).reindex(estimate.index).rename("se")
        self.df = float(df)
        self.dist = dist
        self.draws = draws
        self.n_draws = None if draws is None else len(draws)
        self.seed = seed

    def conf_int(self, level: float = 0.95) -> pd.DataFrame:
        """Delta-method intervals, ``estimate -/+ t(df) * se``.

        Parameters
        ----------
        level : float
            Confidence level.

        Returns
        -------
        DataFrame
            ``ci_low, ci_high`` by statistic.
        """
        check_probability("level", level)
        q = t_quantile(0.5 + level / 2, self.df if self.df > 0 else np.nan)
        est, se = self.estimate.to_numpy(), self.se.to_numpy()
        with np.errstate(invalid="ignore"):
            return pd.DataFrame({"ci_low": est - q * se, "ci_high": est + q * se},
                                index=self.estimate.index)

    def bootstrap(self, level: float = 0.95) -> pd.DataFrame | None:
        """Bootstrap percentile intervals of the replicate refits (DCchoice ``bootCI``).

        Parameters
        ----------
        level : float
            Confidence level.

        Returns
        -------
        DataFrame or None
            ``boot_low, boot_high`` by statistic (None without replicates).
        """
        if self.boot is None:
            return None
        check_probability("level", level)
        probs = [0.5 - level / 2, 0.5 + level / 2]
        rows = {label: np.quantile(v.to_numpy(dtype=float), probs, method="inverted_cdf")
                for label, v in self.boot.items()}
        return pd.DataFrame.from_dict(rows, orient="index", columns=["boot_low", "boot_high"]
                                      ).reindex(self.estimate.index)

    def krinsky_robb(self, level: float = 0.95) -> pd.DataFrame | None:
        """Krinsky-Robb percentile intervals of the draws.

        Parameters
        ----------
        level : float
            Confidence level.

        Returns
        -------
        DataFrame or None
            ``kr_low, kr_high`` by statistic (None without draws).
        """
        if self.draws is None:
            return None
        check_probability("level", level)
        probs = [0.5 - level / 2, 0.5 + level / 2]
        rows = {}
        for label, vals in self.draws.items():  # mean and/or median
            v = vals.to_numpy(dtype=float)
            # Interpolating between infinite draws gives NaN: take order statistics.
            rows[label] = (np.quantile(v, probs, method="inverted_cdf") if np.isinf(v).any()
                           else np.quantile(v, probs, method="linear"))
        return pd.DataFrame.from_dict(rows, orient="index", columns=["kr_low", "kr_high"]
                                      ).reindex(self.estimate.index)

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Tabulate ``estimate, se, ci_low, ci_high`` (+ ``kr_low, kr_high``, ``boot_low, boot_high``).

        Parameters
        ----------
        level : float
            Confidence level.

        Returns
        -------
        DataFrame
            One row per statistic.
        """
        ci = self.conf_int(level)
        kr = self.krinsky_robb(level)
        extra = {} if kr is None else {"kr_low": kr["kr_low"], "kr_high": kr["kr_high"]}
        boot = self.bootstrap(level)
        if boot is not None:
            extra.update(boot_low=boot["boot_low"], boot_high=boot["boot_high"])
        out = result_frame(self.estimate, self.se, ci["ci_low"], ci["ci_high"], extra=extra)
        out.index.name = "statistic"
        return out

    @property
    def frame(self) -> pd.DataFrame:
        """:meth:`summary_frame` at level 0.95."""
        return self.summary_frame()

    def tidy(self, level: float = 0.95) -> pd.DataFrame:
        """Long frame for plots: one row per statistic and interval method.

        Parameters
        ----------
        level : float
            Confidence level.

        Returns
        -------
        DataFrame
            ``statistic, method, estimate, ci_low, ci_high``.
        """
        table = self.summary_frame(level)
        rows = []
        for stat, r in table.iterrows():
            rows.append({"statistic": stat, "method": "delta", "estimate": r["estimate"],
                         "ci_low": r["ci_low"], "ci_high": r["ci_high"]})
            if "kr_low" in table:
                rows.append({"statistic": stat, "method": "krinsky_robb",
                             "estimate": r["estimate"], "ci_low": r["kr_low"],
                             "ci_high": r["kr_high"]})
            if "boot_low" in table:
                rows.append({"statistic": stat, "method": "bootstrap",
                             "estimate": r["estimate"], "ci_low": r["boot_low"],
                             "ci_high": r["boot_high"]})
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return f"<WTPResult ({self.dist})>\n{self.summary_frame()}"
