"""Weight a design to a wave's targets the way its codebook says (method, variables, trimming).

The one weighting path of the CLI, the report and the API.
"""

from __future__ import annotations

from ..codebook import Codebook, Targets
from ..design.core import Design

__all__ = ["weight_to_targets"]


def weight_to_targets(design: Design, targets: Targets, codebook: Codebook, *,
                      max_iter: int = 50, tol: float = 1e-7) -> Design:
    """Weight ``design`` to ``targets`` with the codebook's method, variables and trimming.

    Parameters
    ----------
    design : Design
        The design to weight (Taylor or replicate).
    targets : Targets
        Population margins (``targets.yaml``).
    codebook : Codebook
        Its ``weighting:`` section chooses the method (``rake``, ``poststratify`` or
        ``calibrate``), the margins used (``variables``) and the trimming bounds
        (``trim``, multiples of the mean weight).
    max_iter, tol : optional
        Iteration limit and tolerance of raking and of the iterative
        calibration functions (ignored by post-stratification).

    Returns
    -------
    Design
        A new design; its calibrations carry the weighting diagnostics.
    """
    spec = codebook.weighting
    if spec.variables:
        targets = targets.model_copy(update={"margins": {
            k: v for k, v in targets.margins.items() if k in spec.variables}})
    margins = targets.as_margins()
    if spec.method == "rake":
        out = design.rake(margins, max_iter=max_iter, tol=tol)
    elif spec.method == "poststratify":
        out = design.poststratify(list(margins), margins)
    else:
        out = design.calibrate(margins, max_iter=max_iter)
    if spec.trim is not None:
        out = out.trim(spec.trim[0], spec.trim[1], relative=True)
    return out
