"""Multiple-response (select-all) questions with design-based inference.

A select-all question ("which of these stop you buying low-carbon products?")
is stored as one boolean column per option (``<qid>_<option>``, NA when the
question was not shown).  ``design.mean("barriers")`` -- or a list of the
option columns -- gives every option's share among respondents *shown* the
question, with the full design covariance between options.  This module adds
the two tests reports need:

* :func:`mr_test` -- is option A chosen more often than option B?  A paired
  design-based t test on the same respondents (R: ``svyttest(I(a - b) ~ 0)``
  on the asked domain).
* :func:`mr_compare` -- does an option's share differ between two groups
  (city tiers, age bands)?  A domain comparison that keeps the full design
  (R: ``svyttest(option ~ group)`` on the asked domain).

Both use ``degf - 1`` degrees of freedom, as R's ``svyttest``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.results import ContrastResult, SurveyResult
from ..errors import DesignError
from .descriptive import svy_mean, variable_matrix

if TYPE_CHECKING:
    from ..design.core import Design

__all__ = ["mr_shares", "mr_test", "mr_compare"]


def mr_shares(design: Design, var: str | Sequence[str], by: str | None = None
              ) -> SurveyResult:
    """Share choosing each option of a select-all question (base: respondents asked).

    Parameters
    ----------
    design : Design
        The survey design holding the option columns.
    var : str or list of str
        A codebook multiple-choice question id, or its boolean option columns.
    by : str, optional
        Grouping column (domains keep the full design).

    Returns
    -------
    SurveyResult
        One row per option (per group with ``by=``), full covariance.

    Raises
    ------
    DesignError
        ``var`` is not a select-all question (not a multiple-choice question
        id and not a list of two or more boolean columns).
    """
    mat = variable_matrix(design, var)
    if mat.asked is None:
        raise DesignError(f"{var!r} is not a select-all question",
                          hint="pass a codebook multiple-choice question id or a list of "
                               "two or more boolean option columns")
    return svy_mean(design, var, by=by)


def _option(result: SurveyResult, option: str, var: Any) -> Any:
    """Resolve an option given as its key or its full column name."""
    labels = list(result.estimate.index.get_level_values(-1).unique())
    if option in labels:
        return option
    if isinstance(var, str) and option.startswith(f"{var}_") and option[len(var) + 1:] in labels:
        return option[len(var) + 1:]
    raise DesignError(f"{option!r} is not an option of {var!r}", level=option,
                      hint=f"options are {labels}")


def mr_test(design: Design, var: str | Sequence[str], option_a: str, option_b: str,
            *, by: str | None = None, group: Any = None) -> ContrastResult:
    """Paired test that two options of a select-all question are chosen equally often.

    Parameters
    ----------
    design : Design
        The survey design holding the option columns.
    var : str or list of str
        Question id or option columns.
    option_a, option_b : str
        Options (keys, or column names).
    by, group : optional
        Test within one group: the domain ``design.data[by] == group``.

    Returns
    -------
    ContrastResult
        ``estimate`` = share(a) - share(b) among respondents asked, its design
        SE (from the covariance of the two shares), t on ``degf - 1`` df.

    Examples
    --------
    >>> d.mr_test("barriers", "price", "availability").p_value  # doctest: +SKIP
    """
    if (by is None) != (group is None):
        raise ValueError("pass both `by` and `group` to test within a group, or neither")
    res = mr_shares(design, var)
    if by is not None:
        if by not in design.data.columns:
            raise DesignError(f"`by` names column {by!r} that is not in the data", column=by)
        mask = (design.data[by] == group).fillna(False).to_numpy(dtype=bool)
        if not (mask & (design.weights > 0)).any():
            raise DesignError(f"no respondents with {by} == {group!r}", column=by, level=group)
        res = mr_shares(design.subset(mask), var)
    a, b = _option(res, option_a, var), _option(res, option_b, var)
    df = float(res.df) - 1
    where = "" if by is None else f" [{by}={group}]"
    return res.contrast({a: 1.0, b: -1.0}, name=f"{a} - {b}{where}", df=df)


def mr_compare(design: Design, var: str | Sequence[str], by: str,
               option: str | None = None, groups: tuple[Any, Any] | None = None
               ) -> pd.DataFrame:
    """Compare options' shares between groups (domain t tests on the full design).

    Parameters
    ----------
    design : Design
        The survey design holding the option and grouping columns.
    var : str or list of str
        Question id or option columns.
    by : str
        Grouping column.
    option : str, optional
        One option; default every option.
    groups : (a, b), optional
        One pair of groups; default every pair.

    Returns
    -------
    DataFrame
        One row per (option, group_a, group_b): ``share_a, share_b, estimate``
        (``share_a - share_b``), ``se, statistic`` (t), ``df, p_value``.  The covariance of
        the two domains is estimated, not assumed zero.
    """
    res = mr_shares(design, var, by=by)
    est, cov = res.estimate, res.vcov
    grp_labels = list(est.index.get_level_values(0).unique())
    opts = list(est.index.get_level_values(-1).unique())
    if option is not None:
        opts = [_option(res, option, var)]
    if groups is None:
        pairs = list(combinations(grp_labels, 2))
    else:
        missing = [x for x in groups if x not in grp_labels]
        if missing:
            raise DesignError(f"group(s) {missing!r} not found in {by!r}", column=by,
                              hint=f"groups are {grp_labels}")
        pairs = [tuple(groups)]
    base = design.weights > 0
    asked = variable_matrix(design, var).asked
    if asked is not None:
        base &= asked
    by_values = design.data[by]
    rows = []
    for ga, gb in pairs:
        # R: svyttest(option ~ group) on the two groups' asked respondents
        in_pair = by_values.isin([ga, gb]).to_numpy(dtype=bool)
        df = float(design.degf(rows=base & in_pair)) - 1
        for opt in opts:
            ia, ib = (ga, opt), (gb, opt)
            diff = est[ia] - est[ib]
            var_d = cov.loc[ia, ia] + cov.loc[ib, ib] - 2 * cov.loc[ia, ib]
            t = ContrastResult.from_estimate(f"{opt}: {ga} - {gb}", diff,
                                             float(np.sqrt(max(var_d, 0.0))), df)
            rows.append({"option": opt, "group_a": ga, "group_b": gb, "share_a": est[ia],
                         "share_b": est[ib], "estimate": t.estimate, "se": t.se,
                         "statistic": t.statistic, "df": t.df, "p_value": t.p_value})
    rows.sort(key=lambda r: opts.index(r["option"]))  # option-major, pairs in order
    return pd.DataFrame(rows)
