"""Analysis variables derived from the cleaned frame and the codebook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..codebook import Codebook

__all__ = ["analysis_variables"]


def analysis_variables(data: Any, codebook: Codebook) -> Any:
    """The cleaned frame plus model-ready variables (a new frame; ``attrs`` kept).

    * select-all option columns (pandas nullable booleans) become 0/1 floats
      with NaN where the question was not shown, so tables and charts read them as shares;
    * ``<question>_yes`` (0/1, NaN if unanswered) for single questions with a
      ``yes`` option, so a purchase question can be a model outcome;
    * ``<grid>_score``: mean of a grid's items coded 1..k in option order,
      reverse-worded items flipped (``k + 1 - code``).

    Parameters
    ----------
    data : DataFrame
        The cleaned frame.
    codebook : Codebook
        Its codebook (question types, options, grid items).

    Returns
    -------
    DataFrame
        A copy of ``data`` with the converted and added columns.
    """
    import numpy as np
    import pandas as pd

    out = data.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype):
            out[col] = out[col].astype("float64")
    for q in codebook.questions:
        if q.type == "single" and "yes" in {o.key for o in q.options} and q.id in out.columns \
                and f"{q.id}_yes" not in out.columns:
            answer = out[q.id]
            out[f"{q.id}_yes"] = (answer == "yes").astype("float64").where(answer.notna())
        if q.type == "grid" and f"{q.id}_score" not in out.columns:
            k = len(q.options)
            items = []
            for it in q.items:
                col = out[f"{q.id}_{it.id}"]
                codes = pd.Series(np.asarray(col.cat.codes, dtype=float) + 1, index=out.index)
                codes = codes.where(col.notna())
                items.append(k + 1 - codes if it.reverse else codes)
            out[f"{q.id}_score"] = pd.concat(items, axis=1).mean(axis=1)
    out.attrs = dict(data.attrs)
    return out
