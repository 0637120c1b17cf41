"""Lay out a new wave folder from an export: ``survey.yaml``, ``raw/``, a targets template.

``greensurvey codebook EXPORT -o surveys/my-wave/survey.yaml`` calls
:func:`lay_out_wave`: the folder is created, the export (and the other 问卷星
download it was paired with) is *copied* into ``raw/`` (never moved or
changed: the original stays the record of what the platform delivered), the
draft is written as ``survey.yaml`` and a commented ``targets.example.yaml``
shows how weighting targets are written.  The template is not named
``targets.yaml`` because a ``targets.yaml`` makes the wave weighted: rename it
once its numbers and sources are filled in.
"""

from __future__ import annotations

import filecmp
import os
import shutil
from pathlib import Path

from ..codebook import Codebook
from ..errors import SurveyError

__all__ = ["lay_out_wave", "targets_template", "TEMPLATE_NAME"]

#: File name of the commented targets template.
TEMPLATE_NAME = "targets.example.yaml"


def targets_template(codebook: Codebook) -> str:
    """A commented ``targets.yaml`` template naming the wave's single-choice questions.

    Parameters
    ----------
    codebook : Codebook
        The drafted codebook.

    Returns
    -------
    str
        YAML text, every line commented out, with one example margin per
        candidate weighting variable (its option names as levels).
    """
    lines = [
        f"# Weighting targets for wave {codebook.wave} (guide: docs/codebook.md#targetsyaml;",
        "# schema: docs/targets.schema.json).  Fill in population shares from a cited",
        "# source, uncomment, list the variables under `weighting: variables:` in",
        "# survey.yaml and rename this file targets.yaml.  Without targets.yaml the wave",
        "# is reported unweighted.",
        "#",
        "# population: Residents aged 18-69 of the 31 mainland provinces, census 2020",
        "# margins:",
    ]
    candidates = [q for q in codebook.questions if q.type in ("single", "likert")
                  and 2 <= len(q.options) <= 12][:4]
    for q in candidates:
        levels = ", ".join(f"{o.key}: <share>" for o in q.options)
        lines += [f"#   {q.id}:   # {q.label.zh}", f"#     levels: {{{levels}}}",
                  "#     source: <publication, table, year>"]
    if not candidates:
        lines += ["#   sex:", "#     levels: {male: 51.2, female: 48.8}",
                  "#     source: <publication, table, year>"]
    return "\n".join(lines) + "\n"


def _schema_line(folder: Path) -> str:
    """The editor's schema comment, when a project ``docs/survey.schema.json`` is above ``folder``."""
    here = folder.resolve()
    for parent in (here, *here.parents):
        schema = parent / "docs" / "survey.schema.json"
        if schema.is_file():
            rel = os.path.relpath(schema, here).replace(os.sep, "/")
            return f"# yaml-language-server: $schema={rel}\n"
    return ""


def _copy(src: Path, raw: Path) -> Path:
    dest = raw / src.name
    if dest.resolve() == src.resolve():
        return dest
    if dest.exists():
        if filecmp.cmp(src, dest, shallow=False):
            return dest
        raise SurveyError(f"{dest} exists and differs from {src}", file=dest,
                          hint="choose another wave folder, or remove the old file yourself")
    shutil.copy2(src, dest)  # a copy: the original export is never moved or modified
    return dest


def lay_out_wave(output: str | Path, codebook: Codebook, yaml_text: str, files: list[Path], *,
                 force: bool = False) -> list[str]:
    """Create the wave folder of ``output`` with ``raw/``, ``survey.yaml`` and a targets template.

    Parameters
    ----------
    output : str or Path
        Where ``survey.yaml`` goes (``surveys/my-wave/survey.yaml``); its
        folder is created.
    codebook : Codebook
        The draft (for the targets template).
    yaml_text : str
        The draft as YAML (:func:`analysis.ingest.codebook_yaml`).
    files : list of Path
        Exports to copy into ``raw/`` (the export and its paired download).
    force : bool, default False
        Overwrite an existing ``survey.yaml``.

    Returns
    -------
    list of str
        One line per file written or copied, for the user.

    Raises
    ------
    SurveyError
        ``survey.yaml`` exists (without ``force``), or ``raw/`` holds a
        different file of the same name.
    """
    out = Path(output)
    if out.exists() and not force:
        raise SurveyError(f"{out} exists", file=out, hint="pass --force to overwrite it")
    folder = out.parent
    folder.mkdir(parents=True, exist_ok=True)
    raw = folder / "raw"
    raw.mkdir(exist_ok=True)
    done = []
    for f in files:
        dest = _copy(Path(f), raw)
        done.append(f"export {Path(f).name} copied to {dest}")
    schema = _schema_line(folder)
    out.write_text(schema + yaml_text, encoding="utf-8")
    done.append(f"codebook draft written to {out}")
    template = folder / TEMPLATE_NAME
    if not template.exists() and not (folder / codebook.weighting.targets).exists():
        template.write_text(targets_template(codebook), encoding="utf-8")
        done.append(f"targets template written to {template} (rename to targets.yaml "
                    "once filled in)")
    return done
