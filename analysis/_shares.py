"""Are population margins shares or counts?  Sum checks shared by targets.yaml and the API.

A margin whose targets add to 1 (proportions) or 100 (percentages), within
:data:`SHARE_SUM_TOLERANCE` of that scale, holds shares; any other margin
holds population counts.  :func:`check_margin_sums` decides which, and raises
a :class:`~analysis.errors.TargetsError` on the two silent failures of
hand-typed targets: a level typed on the other scale (``male: 0.512`` among
percentages) and a share margin that does not add up (percentages adding to
95).  Rescaling such a margin is an explicit opt-in (``normalize``), noted
for the weighting diagnostics.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from .errors import TargetsError

__all__ = ["SHARE_SUM_TOLERANCE", "check_margin_sums", "normalize_set"]

Normalize = bool | Collection[str]

SHARE_SUM_TOLERANCE = 0.005
"""How far the targets of a share margin may add up from their scale, as a
fraction of it: ``|sum - 1| <= 0.005`` for proportions, ``|sum - 100| <= 0.5``
for percentages (published tables round each level).  Such a margin is
scaled to its exact scale, with a note; a larger gap is an error unless the
margin opts in with ``normalize``."""

_EXACT_TOL = 1e-6  # relative gap below which a share margin is on its scale (no note)
_SCALES = (1.0, 100.0)


def _share_scale(total: float) -> float | None:
    """1 or 100 if ``total`` is within :data:`SHARE_SUM_TOLERANCE` of that scale, else None."""
    for scale in _SCALES:
        if abs(total - scale) <= SHARE_SUM_TOLERANCE * scale:
            return scale
    return None


def _mistyped(column: str, target: Mapping[str, float]) -> tuple[str, str] | None:
    """``(level, message)`` if rescaling some values by 100 makes the shares add up.

    Two slips are recognised: proportions (values <= 1) among percentages,
    which x 100 bring the sum to 100, and percentages (values > 1, <= 100)
    among proportions, which / 100 bring it to 1.  One level is tried first,
    then all values of the suspect kind.  Integer population counts can match
    neither unless they already add to 1 or 100.
    """
    small = [lv for lv, v in target.items() if 0 < v <= 1]
    large = [lv for lv, v in target.items() if v > 1]
    if not small or not large or any(target[lv] > 100 for lv in large):
        return None
    total = sum(target.values())
    tries = ([([lv], 100.0) for lv in small] + [([lv], 0.01) for lv in large]
             + [(small, 100.0), (large, 0.01)])
    found = []
    for levels, factor in tries:
        moved = sum(target[lv] for lv in levels)
        new_total = total - moved + moved * factor
        if _share_scale(new_total) == (100.0 if factor == 100 else 1.0):
            # fewest slips first; on a tie, percentages (how census tables are given)
            found.append((len(levels), factor != 100, levels, factor))
    if not found:
        return None
    found.sort(key=lambda f: f[:2])

    def describe(levels: list[str], factor: float) -> str:
        what = ("proportion", "percentages") if factor == 100 else ("percentage", "proportions")
        verb = (f"looks like a {what[0]} among {what[1]}" if len(levels) == 1
                else f"look like {what[0]}s among {what[1]}")
        listed = ", ".join(f"{lv!r} = {target[lv]:g}" for lv in levels)
        fixed = ", ".join(f"{target[lv] * factor:.10g}" for lv in levels)
        return f"{listed} {verb} ({fixed}?)"

    message = f"{column}: shares add to {total:.10g}; {describe(*found[0][2:])}"
    other = [f for f in found[1:] if f[0] == found[0][0] and f[3] != found[0][3]]
    if other:  # e.g. two levels: either could be the slip
        message += f"; or {describe(*other[0][2:])}"
    return found[0][2][0], message


_NORMALIZE_HINT = ("correct the value(s); or, to rescale the margin as given, opt in with "
                   "`normalize: true` on the margin in targets.yaml (normalize=[{col!r}] "
                   "in Python)")


def check_margin_sums(targets: Mapping[str, Mapping[str, float]],
                      normalize: Collection[str] = ()) -> tuple[str, list[str]]:
    """Decide whether margins are shares or counts; raise on sums that look mistyped.

    Parameters
    ----------
    targets : mapping
        ``{margin name: {level: target}}`` with non-negative targets.
    normalize : collection of str
        Margins the user asked to rescale as given: exempt from the checks,
        and noted.

    Returns
    -------
    kind : {"shares", "counts"}
        Shares when some margin not in ``normalize`` adds to 1 or 100 within
        :data:`SHARE_SUM_TOLERANCE` (or every margin is in ``normalize``);
        counts otherwise.
    notes : list of str
        One per margin rescaled by ``normalize`` or within the tolerance.

    Raises
    ------
    TargetsError
        A level that looks typed on the other scale (with the likely value),
        or a margin that is not shares beside margins that are (with its sum).
    """
    sums = {col: float(sum(t.values())) for col, t in targets.items()}
    checked = [col for col in targets if col not in normalize]
    for col in checked:
        if _share_scale(sums[col]) is None:
            slip = _mistyped(col, targets[col])
            if slip is not None:
                raise TargetsError(slip[1], column=col, level=slip[0],
                                   hint=_NORMALIZE_HINT.format(col=col))
    share_cols = [col for col in checked if _share_scale(sums[col]) is not None]
    kind = "shares" if share_cols or not checked else "counts"
    if kind == "shares":
        for col in checked:
            if col not in share_cols:
                raise TargetsError(
                    f"{col}: shares add to {sums[col]:.10g}, not 1 or 100 (within "
                    f"{SHARE_SUM_TOLERANCE:.1%}) as those of "
                    f"{', '.join(repr(c) for c in share_cols)} do", column=col,
                    hint=_NORMALIZE_HINT.format(col=col) + "; or give every margin as "
                         "population counts")
    notes = []
    for col in targets:
        if col in normalize:
            target = "100%" if kind == "shares" else "the common population total"
            level, value = max(targets[col].items(), key=lambda kv: kv[1])
            notes.append(f"margin {col!r} rescaled as asked (normalize): its targets add to "
                         f"{sums[col]:.10g}; rescaled to {target} (e.g. {level!r} {value:g} -> "
                         f"{100 * value / sums[col]:.4g}% of the total)")
        elif kind == "shares":
            scale = _share_scale(sums[col])
            if scale is not None and abs(sums[col] - scale) > _EXACT_TOL * scale:
                notes.append(f"margin {col!r}: shares add to {sums[col]:.10g}, within the "
                             f"{SHARE_SUM_TOLERANCE:.1%} tolerance of {scale:g}; rescaled to "
                             f"{scale:g}")
    return kind, notes


def normalize_set(normalize: Normalize, columns: Collection[str]) -> set[str]:
    """``normalize=`` as a set of margin names (True: all of them).

    Parameters
    ----------
    normalize : bool, str or collection of str
        ``True`` (every margin), ``False``/``None`` (none), or margin names.
    columns : collection of str
        The margins given.

    Returns
    -------
    set of str
        The margins to rescale.
    """
    if normalize is True:
        return set(columns)
    if normalize is False or normalize is None:
        return set()
    if isinstance(normalize, str):
        normalize = [normalize]
    names = set(normalize)
    unknown = sorted(names - set(columns))
    if unknown:
        raise TargetsError(f"normalize names margin(s) {unknown} that are not given",
                           column=unknown[0], hint=f"the margins are {sorted(columns)}")
    return names
