"""Wald inference shared by model results (svyglm, svyolr, ...).

A result class provides ``params`` (Series), ``vcov`` (DataFrame) and
``df_resid`` (design residual df); the mixin derives standard errors,
t statistics, p-values and t-based intervals, as R's ``summary.svyglm``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..design.results import result_frame
from ..errors import ModelError

__all__ = ["WaldInference"]


class WaldInference:
    """Mixin: ``bse``, ``tvalues``, ``pvalues``, ``cov_params()``, ``conf_int()``, ``summary_frame()``."""

    params: pd.Series
    vcov: pd.DataFrame
    df_resid: float

    @property
    def bse(self) -> pd.Series:
        """Design-based standard errors."""
        return pd.Series(np.sqrt(np.diag(self.vcov.to_numpy())), index=self.params.index,
                         name="se")

    @property
    def tvalues(self) -> pd.Series:
        """Wald t statistics."""
        return (self.params / self.bse).rename("t")

    @property
    def pvalues(self) -> pd.Series:
        """Two-sided p-values from t with ``df_resid`` (NaN if df <= 0, as R)."""
        if self.df_resid <= 0:
            return pd.Series(np.nan, index=self.params.index, name="p")
        p = 2 * stats.t.sf(np.abs(self.tvalues.to_numpy()), self.df_resid)
        return pd.Series(p, index=self.params.index, name="p")

    def cov_params(self) -> pd.DataFrame:
        """Design-based covariance matrix of ``params``.

        Returns
        -------
        DataFrame
            A copy of ``vcov``, rows and columns labelled by the coefficients.
        """
        return self.vcov.copy()

    def conf_int(self, level: float = 0.95, *, alpha: float | None = None) -> pd.DataFrame:
        """Wald confidence intervals, ``estimate +- t(df_resid) * se``.

        Parameters
        ----------
        level : float
            Confidence level.
        alpha : float, optional
            Alternatively ``1 - level``.

        Returns
        -------
        DataFrame
            Columns ``ci_low`` and ``ci_high`` (NaN when ``df_resid <= 0``).

        Notes
        -----
        Same numbers as R's ``confint.svyglm(method="Wald")``, which maps the
        t quantile on ``df.residual`` to a normal level.
        """
        if alpha is not None:
            level = 1 - alpha
        if not 0 < level < 1:
            raise ModelError(f"`level` must lie in (0, 1), not {level!r}", hint="e.g. level=0.95")
        q = stats.t.ppf(0.5 + level / 2, self.df_resid) if self.df_resid > 0 else np.nan
        se = self.bse
        return pd.DataFrame({"ci_low": self.params - q * se, "ci_high": self.params + q * se})

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        """Coefficient table: ``estimate, se, ci_low, ci_high, statistic, p_value``.

        ``statistic`` is the Wald t, ``p_value`` its two-sided p-value on
        ``df_resid`` degrees of freedom (the protocol of
        :mod:`analysis.design.results`).

        Parameters
        ----------
        level : float, default 0.95
            Confidence level of the t-based ``ci_low, ci_high``.

        Returns
        -------
        DataFrame
            One row per coefficient.
        """
        ci = self.conf_int(level)
        return result_frame(self.params, self.bse, ci["ci_low"], ci["ci_high"],
                            extra={"statistic": self.tvalues, "p_value": self.pvalues})
