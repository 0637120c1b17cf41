"""JSON Schemas of ``survey.yaml`` and ``targets.yaml``, generated from the codebook models.

Editors (VS Code with the YAML extension, PyCharm, ...) validate a file as it
is typed when the schema is named on its first line::

    # yaml-language-server: $schema=../../docs/survey.schema.json

The committed schemas (``docs/survey.schema.json``, ``docs/targets.schema.json``)
are regenerated with ``greensurvey codebook --schema docs``; a test checks that
they equal :func:`codebook_schemas`.  The pydantic models accept shorter YAML
forms than their fields' types (a label as a plain string, a routing condition
as ``[1, 2]`` or ``"!= 9"``); the schema states those forms too, so nothing
valid is flagged.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .codebook import Codebook, Targets

__all__ = ["codebook_schemas", "schema_text", "write_schemas", "SCHEMA_FILES"]

#: File name of each schema in the docs folder.
SCHEMA_FILES = {"survey": "survey.schema.json", "targets": "targets.schema.json"}
_BASE = "https://greensurvey.invalid/schema/"

_SCALAR = {"type": ["integer", "number", "string"]}
_CONDITION = {
    "description": "Routing test: codes ([1, 2] or 1), {not: [9]} / {not_in: [9]} / {in: [1]}, "
                   "or a comparison string ('!= 9', '>= 18', 'not 9'). See docs/codebook.md"
                   "#routing-show_if.",
    "anyOf": [
        _SCALAR,
        {"type": "array", "items": _SCALAR},
        {"type": "object", "minProperties": 1, "maxProperties": 1, "additionalProperties": False,
         "properties": {k: {"anyOf": [_SCALAR, {"type": "array", "items": _SCALAR}]}
                        for k in ("in", "not", "not_in")}},
    ],
}


def _label(schema: dict[str, Any]) -> dict[str, Any]:
    """A label is a plain string (both languages) or ``{zh: ..., en: ...}``."""
    return {"description": "A label: one string for both languages, or {zh: ..., en: ...}.",
            "anyOf": [{"type": "string"}, schema]}


def _finish(schema: dict[str, Any], name: str, title: str) -> dict[str, Any]:
    defs = schema.get("$defs", {})
    if "Label" in defs:
        defs["Label"] = _label(defs["Label"])
    if "Condition" in defs:
        defs["Condition"] = _CONDITION
    schema.get("properties", {}).pop("path", None)  # set by the loader, never written
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": _BASE + SCHEMA_FILES[name], "title": title,
            **{k: v for k, v in schema.items() if k != "title"}}


def codebook_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of ``survey.yaml`` and ``targets.yaml``.

    Returns
    -------
    dict
        ``{"survey": schema, "targets": schema}`` (JSON Schema 2020-12).
    """
    return {
        "survey": _finish(Codebook.model_json_schema(), "survey",
                          "greensurvey survey.yaml (the codebook; guide: docs/codebook.md)"),
        "targets": _finish(Targets.model_json_schema(), "targets",
                           "greensurvey targets.yaml (weighting targets; guide: "
                           "docs/codebook.md#targetsyaml)"),
    }


def schema_text(name: str) -> str:
    """One schema as the text committed in ``docs/``.

    Parameters
    ----------
    name : {"survey", "targets"}
        Which schema.

    Returns
    -------
    str
        Indented JSON with a final newline; non-ASCII kept as written.
    """
    return json.dumps(codebook_schemas()[name], ensure_ascii=False, indent=2) + "\n"


def write_schemas(folder: str | Path) -> list[Path]:
    """Write both schemas into ``folder`` (created if needed).

    Parameters
    ----------
    folder : str or Path
        Target folder, normally the project's ``docs/``.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, file in SCHEMA_FILES.items():
        path = out / file
        path.write_text(schema_text(name), encoding="utf-8")
        written.append(path)
    return written
