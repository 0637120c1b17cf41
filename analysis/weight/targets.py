"""Weight a design to a wave's targets the way its codebook says (method, variables, trimming).

The one weighting path of the CLI, the report and the API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..codebook import Codebook, Targets
from .methods import design_calibrate, design_poststratify, design_rake, design_trim

if TYPE_CHECKING:
    from ..design.core import DesignT

__all__ = ["weight_to_targets"]


def weight_to_targets(design: DesignT, targets: Targets, codebook: Codebook, *,
                      max_iter: int = 50, tol: float = 1e-7) -> DesignT:
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
        out = design_rake(design, margins, max_iter=max_iter, tol=tol)
    elif spec.method == "poststratify":
        out = design_poststratify(design, list(margins), margins)
    else:
        out = design_calibrate(design, margins, max_iter=max_iter)
    if spec.trim is not None:
        out = design_trim(out, spec.trim[0], spec.trim[1], relative=True)
    return out
