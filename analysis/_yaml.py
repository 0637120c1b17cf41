"""YAML loading that remembers where every value came from.

``load_yaml_with_lines`` returns the plain Python object plus a map from the
path of each node (a tuple of keys / list indices) to its 1-based line, so
validation errors can cite ``survey.yaml`` line numbers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import CodebookError, EmptyFileError, MissingFileError

__all__ = ["load_yaml_with_lines", "line_of"]

LineMap = dict[tuple[Any, ...], int]


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: LineMap) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node)) if key_node.tag != "tag:yaml.org,2002:str" else key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
            lines[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, child in enumerate(node.value):
            _walk(child, path + (i,), lines)


def load_yaml_with_lines(path: str | Path, error: type[CodebookError] = CodebookError) -> tuple[Any, LineMap]:
    """Parse a YAML file, returning ``(data, line_map)``.

    Parameters
    ----------
    path : str or Path
        The YAML file.
    error : type, default CodebookError
        Error class raised on a syntax error (e.g. ``TargetsError`` for targets).

    Returns
    -------
    data : object
        The parsed document.
    line_map : dict
        Source line (1-based) of every key path, as tuples of keys and indices.

    Raises
    ------
    MissingFileError
        If the file does not exist.
    EmptyFileError
        If it holds no document.
    CodebookError (or ``error``)
        On a YAML syntax error, with the line of the problem.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingFileError("file not found", file=path, hint="check the wave folder path")
    text = path.read_text(encoding="utf-8-sig")
    # One parse (libyaml's when installed, ~10x faster): the node tree gives the
    # lines, and the same loader constructs the data from it.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise error(f"YAML syntax error: {exc.problem or exc}", file=path, line=line,
                    hint="fix the indentation or quoting on that line") from None
    finally:
        loader.dispose()
    if node is None or data is None:
        raise EmptyFileError("YAML file is empty", file=path)
    lines: LineMap = {}
    _walk(node, (), lines)
    return data, lines


def line_of(lines: LineMap, loc: tuple[Any, ...]) -> int | None:
    """Line of the deepest known prefix of ``loc`` (pydantic error locations).

    Parameters
    ----------
    lines : dict
        The ``line_map`` of :func:`load_yaml_with_lines`.
    loc : tuple
        Key path, e.g. a pydantic error's ``loc``.

    Returns
    -------
    int or None
        Line of ``loc`` or of its deepest known prefix; ``None`` if none is known.
    """
    loc = tuple(loc)
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())
