"""``greensurvey codebook --check <wave>``: validate survey.yaml and targets.yaml, read no data.

Loading the codebook already checks every field (with the YAML line and the
guide section of the problem); this adds what only the pair of files shows:
each weighting variable has a margin, each margin's levels are options of
its question (or labels of its derived variable).  The export itself is not
read; its presence is only noted.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .codebook import Codebook, load_codebook, load_targets
from .errors import TargetsError

__all__ = ["check_wave"]


def _levels(codebook: Codebook, var: str) -> set[str] | None:
    """Level names a margin of ``var`` may use; None when unknown."""
    for d in codebook.derived:
        if d.id == var:
            return set(d.labels)
    for q in codebook.questions:
        if q.id == var and q.options:
            return {o.key for o in q.options}
    return None


def check_wave(wave: str | Path) -> list[str]:
    """Validate a wave's ``survey.yaml`` and ``targets.yaml`` without reading its export.

    Parameters
    ----------
    wave : str or Path
        The wave folder, or its ``survey.yaml``.

    Returns
    -------
    list of str
        What was checked, one line each (questions by type, roles, provisional
        codes, targets and their margins, whether the export named is there).

    Raises
    ------
    CodebookError, TargetsError, MissingFileError
        The first problem, with the file, the YAML line and the section of
        ``docs/codebook.md`` to read.
    """
    path = Path(wave)
    codebook = load_codebook(path)
    yaml_path = path / "survey.yaml" if path.is_dir() else path
    folder = yaml_path.parent
    types = Counter(q.type for q in codebook.questions)
    out = [f"{yaml_path}: valid, {len(codebook.questions)} questions ("
           + ", ".join(f"{n} {t}" for t, n in types.most_common()) + ")"]
    roles = getattr(codebook, "analysis", None)
    entries = roles.entries() if roles is not None else []
    if entries:
        out.append("roles: " + ", ".join(f"{role}={qid}" for _, role, qid in entries))
    else:
        out.append("roles: none declared (the mission chapters will not run; "
                   "see docs/codebook.md#roles)")
    guessed = [q.id for q in codebook.questions if q.provisional]
    if guessed:
        out.append("provisional codes (guessed by the draft; check them, then delete "
                   f"`provisional: true`): {', '.join(guessed)}")
    if codebook.raw:
        found = any((d / codebook.raw).is_file() for d in (folder, folder / "raw"))
        out.append(f"raw: {codebook.raw}" + ("" if found else " (not found in the folder or raw/)"))
    target_file = folder / codebook.weighting.targets
    if not target_file.is_file():
        out.append(f"no {codebook.weighting.targets}: the wave is reported unweighted")
        return out
    targets = load_targets(target_file)
    for var in codebook.weighting.variables:
        if var not in targets.margins:
            raise TargetsError(f"weighting variable {var!r} has no margin", file=target_file,
                               hint=f"add `{var}:` under `margins:` or remove it from "
                                    "`weighting: variables:`; see docs/codebook.md#weighting")
        allowed = _levels(codebook, var)
        unknown = sorted(set(targets.margins[var].levels) - allowed) if allowed else []
        if unknown:
            raise TargetsError(f"margin {var!r} names levels that are not options of {var}: "
                               f"{unknown}", file=target_file, level=unknown[0],
                               hint=f"use the option names of {var} ({sorted(allowed or ())}); "
                                    "see docs/codebook.md#targetsyaml")
    out.append(f"{target_file}: valid, margins {', '.join(targets.margins)}; weighting "
               f"variables {', '.join(codebook.weighting.variables) or '(none)'}")
    return out
