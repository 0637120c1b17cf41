"""Entry points: :func:`load_wave`, :func:`read_wave`, :func:`read_export`.

A *wave folder* holds ``survey.yaml`` (the codebook), optionally
``targets.yaml``, and ``raw/`` with the export as delivered.  Nothing under
``raw/`` is ever written; the only file ingest writes is the secret salt
for IP hashing, ``<wave>/interim/.salt`` (gitignored), and only after the
export was read successfully.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .._validation import check_argument
from ..codebook import Codebook, Targets, load_codebook, load_targets
from ..errors import (
    ColumnMismatchError,
    DataQualityWarning,
    EmptyFileError,
    FileFormatError,
    MissingFileError,
)
from ._binary import column_letter
from ._frame import Layout, SourceInfo, as_attrs, build_frame, source_present
from .detect import (
    PLATFORMS,
    check_qualtrics_headers,
    detect_platform,
    legacy_qualtrics,
)
from .encoding import mojibake
from .provisional import refuse_provisional
from .readers import READERS
from .table import SUFFIXES, read_table

__all__ = ["Wave", "read_export", "read_wave", "load_wave", "resolve_salt", "SALT_ENV", "file_sha256"]

SALT_ENV = "GREENSURVEY_SALT"
_PROCESS_SALT: list[str] = []


@dataclass(frozen=True, eq=False)  # eq=False: DataFrames do not compare with ==
class Wave:
    """One survey wave, read and typed.

    Attributes
    ----------
    data : pandas.DataFrame
        The tidy frame (see ``ARCHITECTURE.md``).
    codebook : Codebook
        The codebook used (loaded, passed in or drafted from the export).
    targets : Targets or None
        Population margins from ``targets.yaml``, if the folder has one.
    source : SourceInfo
        File, checksum, platform, mode, encoding and column map.
    """

    data: pd.DataFrame
    codebook: Codebook
    targets: Targets | None
    source: SourceInfo


def resolve_salt(wave_folder: Path | None) -> tuple[str, Path | None]:
    """Find the salt for IP hashes and, if it must be persisted, where.

    ``GREENSURVEY_SALT`` wins; else ``<wave>/interim/.salt`` (created on
    first use, so hashes stay stable across runs); else a random salt kept
    for the life of the process (bare files).

    Parameters
    ----------
    wave_folder : pathlib.Path or None
        The wave folder; None for a bare export file.

    Returns
    -------
    salt : str
        The secret.
    persist : pathlib.Path or None
        Where the caller writes a newly drawn salt once the read succeeds
        (``<wave>/interim/.salt``); None when it came from the environment, from
        that file, or is the process-wide one.
    """
    env = os.environ.get(SALT_ENV)
    if env:
        return env, None
    if wave_folder is not None:
        path = wave_folder / "interim" / ".salt"
        if path.is_file():
            text = path.read_text(encoding="utf-8").strip()
            if text:
                return text, None
        return secrets.token_hex(32), path
    if not _PROCESS_SALT:
        _PROCESS_SALT.append(secrets.token_hex(32))
    return _PROCESS_SALT[0], None


def _persist_salt(salt: str, path: Path | None) -> None:
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(salt + "\n", encoding="utf-8")
        path.chmod(0o600)
    except OSError:
        # A read-only wave folder still loads; the hashes just change between runs.
        warnings.warn(f"could not save the IP-hash salt to {path}; ip_hash values will "
                      f"differ between runs (set {SALT_ENV} to fix them)", DataQualityWarning,
                      stacklevel=3)


def _is_wave_folder(folder: Path | None) -> bool:
    return folder is not None and ((folder / "survey.yaml").is_file() or (folder / "raw").is_dir())


def file_sha256(path: Path) -> str:
    """Compute the SHA-256 of a file, read in 1 MiB chunks (raw exports can be large).

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    str
        Hex digest.
    """
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _layout(table: pd.DataFrame, codebook: Codebook, platform: str, mode: str,
            file: str) -> Layout:
    return READERS[platform](table, codebook, mode=mode, file=file)


def read_export(path: str | Path, codebook: Codebook, *, platform: str = "auto",
                mode: str = "auto", encoding: str = "auto", salt: str | None = None,
                wave_folder: str | Path | None = None, sheet: str | int | None = None,
                strict: bool | None = None) -> tuple[pd.DataFrame, SourceInfo]:
    """Read one raw export against a codebook into the tidy frame.

    Parameters
    ----------
    path : str or Path
        The export (.csv/.tsv/.txt/.xlsx/.xls/.sav/.dta).
    codebook : Codebook
        Questions to find; matching is by the codebook, not by position.
    platform : {"auto", "wjx", "qualtrics", "spss", "stata", "generic"}
        Reader; ``"auto"`` uses ``codebook.platform`` or detects it.
    mode : {"auto", "text", "code"}
        Whether answers are labels or codes; ``"auto"`` uses
        ``codebook.mode`` or detects it.
    encoding : str, default "auto"
        Text files: codec, or detect (BOM, UTF-8, GB18030).
    salt : str, optional
        Secret for the IP hash; default :func:`resolve_salt`.
    wave_folder : str or Path, optional
        Where ``interim/.salt`` lives; defaults to the codebook's folder.
    sheet : str or int, optional
        Excel: the sheet holding the responses (name or 1-based number);
        default the first sheet with data.
    strict : bool, optional
        Refuse what is otherwise accepted with a :class:`DataQualityWarning`
        (see :func:`analysis.ingest.read_table`); default the codebook's
        ``strict:`` (False if it has none).

    Returns
    -------
    data : pandas.DataFrame
        The tidy frame, ``attrs`` set.
    source : SourceInfo
        File, checksum, platform, mode, encoding and column map of the read.

    Raises
    ------
    MissingFileError, EmptyFileError, EncodingError, FileFormatError
        The file cannot be read (nothing is written): damaged, cut short,
        another format than its name says, a legacy Qualtrics export, ...
    ColumnMismatchError
        A codebook question is absent, or an export column is unknown; the
        message adds what explains it when it can see it: headers that look
        like mojibake, the real header row under a title row, the sheet that
        holds the responses, a header repeated in two columns.
    UnknownLabelError
        A text-mode answer is not among its question's options.
    DuplicateIdError
        Respondent ids repeat and ``screening.duplicates.ids`` is ``error``.
    """
    check_argument("platform", ("auto", *PLATFORMS), platform)
    check_argument("mode", ("auto", "text", "code"), mode)
    path = Path(path)
    strict = bool(getattr(codebook, "strict", False)) if strict is None else strict
    table, used = read_table(path, encoding if encoding != "auto" else codebook.encoding,
                             sheet=sheet, strict=strict)
    if legacy_qualtrics(table):
        raise FileFormatError(
            "legacy Qualtrics export (columns V1, V2, ...; question ids in the second row)",
            file=path, hint="export the responses again from Qualtrics with the current "
                            "format (Data & Analysis > Export > CSV, not 'legacy exporter')")
    if platform == "auto":
        platform = codebook.platform if codebook.platform != "auto" else detect_platform(table)
    if platform == "qualtrics":
        check_qualtrics_headers(table, codebook, file=str(path))
    if mode == "auto":
        mode = codebook.mode
    resolved = codebook.for_platform(platform, source_present(table, platform))
    try:
        layout = _layout(table, resolved, platform, mode, str(path))
    except ColumnMismatchError as err:
        raise _explain(err, table, codebook, platform, mode, path) from None
    refuse_provisional(resolved, layout.mode, path)  # guessed codes never decode codes
    n_rows = len(layout.rows) if layout.rows is not None else len(table)
    if n_rows == 0:
        raise EmptyFileError("the export holds a header but no responses", file=path,
                             hint="download the export again (with responses)")
    folder = Path(wave_folder) if wave_folder is not None else codebook.folder
    persist: Path | None = None
    if salt is None:
        salt, persist = resolve_salt(folder)
    with np.errstate(all="call", call=_FloatTrouble(path)):
        frame = build_frame(table, layout, resolved, file=str(path), salt=salt, strict=strict)
    headers = [str(h) for h in table.columns]
    source = SourceInfo(
        file=str(path), sha256=file_sha256(path), platform=platform, mode=layout.mode,
        encoding=used, n_rows=len(frame), n_columns=len(headers),
        column_map=_column_map(headers, layout), n_dropped=layout.n_dropped,
        notes=layout.notes)
    frame.attrs = as_attrs(codebook, source)
    _persist_salt(salt, persist)
    return frame, source


class _FloatTrouble:
    """numpy floating-point error handler: a :class:`DataQualityWarning`, not a raw RuntimeWarning."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, kind: str, flag: int) -> None:
        warnings.warn(f"{self.path.name}: numeric {kind} while converting answers (a number "
                      "too large or too small for a float); the values concerned became "
                      "infinite or missing", DataQualityWarning, stacklevel=2)


def _fits(table: pd.DataFrame, codebook: Codebook, platform: str, mode: str, path: Path) -> None:
    """Bind ``table`` as :func:`read_export` would (raises if it does not fit)."""
    fit = platform if codebook.platform != "auto" else detect_platform(table)
    _layout(table, codebook.for_platform(fit, source_present(table, fit)), fit, mode, str(path))


def _explain(err: ColumnMismatchError, table: pd.DataFrame, codebook: Codebook, platform: str,
             mode: str, path: Path) -> Exception:
    """A column mismatch, with what explains it when the table shows it.

    Checks, in order: headers that are mojibake, the header row lower down
    (a title row above it), another sheet of the workbook that fits, a
    header repeated in two columns (both column letters named).
    """
    headers = [str(h) for h in table.columns]
    bad = mojibake(headers)
    if bad is not None:
        read_as, really, example, fixed = bad
        return ColumnMismatchError(
            f"the headers look like {really} text read as {read_as} ({example!r} is {fixed!r} "
            f"in {really}), so no question matches; {err.message}", file=path,
            question=err.question, hint=f"read the file with encoding {really!r} (survey.yaml "
                                        f"`encoding: {really}` or --encoding {really}), or "
                                        "re-save it as CSV UTF-8", **err.details)
    for k in range(min(3, len(table))):
        shifted = table.iloc[k + 1:].reset_index(drop=True)
        shifted.columns = [str(v) if not pd.isna(v) else "" for v in table.iloc[k].tolist()]
        shifted.attrs = dict(table.attrs)
        try:
            _fits(shifted, codebook, platform, mode, path)
        except Exception:  # noqa: BLE001 - any failure: this is not the header row
            continue
        title = next((h for h in headers if h.strip()), "")
        return FileFormatError(
            f"the header row is row {k + 2}, under {k + 1} row(s) of title "
            f"({title[:60]!r}); the codebook's questions are found there", file=path,
            row=k + 2, hint=f"delete the {k + 1} row(s) above the header (or save the export "
                            "again without a title)")
    sheets = table.attrs.get("sheets") or []
    current = table.attrs.get("sheet")
    if len(sheets) > 1:
        for other in sheets:
            if other == current:
                continue
            try:
                alt, _ = read_table(path, sheet=other)
                _fits(alt, codebook, platform, mode, path)
            except Exception:  # noqa: BLE001 - any failure: not the responses' sheet
                continue
            return ColumnMismatchError(
                f"the responses are on sheet {other!r}, not on {current!r} (sheets: "
                + ", ".join(map(repr, sheets)) + ")", file=path, question=err.question,
                hint=f"pass --sheet {other!r} (sheet={other!r}), or move the responses to the "
                     "first sheet", sheets=sheets)
    seen: dict[str, list[int]] = {}
    for pos, h in enumerate(headers):
        if h.strip():
            seen.setdefault(h.strip(), []).append(pos)
    twice = {h: p for h, p in seen.items() if len(p) > 1}
    named = set(map(str, err.details.get("columns") or [])) | {str(err.column)}
    hit = next((h for h in twice if h in named), None) or (next(iter(twice)) if twice else None)
    if hit is not None:
        letters = " and ".join(column_letter(p) for p in twice[hit])
        return ColumnMismatchError(
            f"the header {hit!r} appears in columns {letters}; {err.message}", file=path,
            column=hit, question=err.question,
            hint="rename or delete the repeated column so each header is unique",
            positions=twice[hit], **{k: v for k, v in err.details.items() if k != "positions"})
    if len(sheets) > 1:
        return ColumnMismatchError(
            f"{err.message} (read sheet {current!r}; the workbook's sheets: "
            + ", ".join(map(repr, sheets)) + ")", file=path, question=err.question,
            column=err.column, hint=(err.hint or "") + "; or pick the sheet with --sheet",
            **err.details)
    return err


def _column_map(headers: list[str], layout: Layout) -> dict[str, str | None]:
    out: dict[int, str | None] = {p: None for p in range(len(headers))}
    names = {"id": "respondent_id", "duration": "duration_s", "submitted": "submitted_at",
             "started": "started_at", "ip": "ip_hash"}
    for role, pos in layout.meta.items():
        out[pos] = names[role]
    for pos, name in layout.hashed.items():
        out[pos] = name
    for b in layout.bindings:
        q = b.question
        if b.cells is not None:
            out[b.cells] = q.id
        for key, pos in b.parts.items():
            out[pos] = f"{q.id}_{key}"
        if b.other is not None:
            out[b.other] = f"{q.id}_other_text"
        if b.dc is not None:
            for pos, part in zip(b.dc, ("bid1", "ans1", "ans2"), strict=True):
                out[pos] = f"{q.id}_{part}"
    mapped: dict[str, str | None] = {}
    for pos, name in out.items():
        key = headers[pos] if headers[pos] not in mapped else f"{headers[pos]} (column {pos + 1})"
        mapped[key] = name
    return mapped


# ----------------------------------------------------------------- wave folders
def _exports_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")
                  and p.suffix.lower() in SUFFIXES)


def _locate(path: Path, codebook: Codebook | str | Path | None,
            ) -> tuple[Path, Codebook | None, Path | None]:
    """(export file, codebook or None, wave folder or None) for any accepted ``path``."""
    if not path.exists():
        raise MissingFileError("file or folder not found", file=path,
                               hint="pass a wave folder (with survey.yaml and raw/), a "
                                    "survey.yaml, or an export file")
    if isinstance(codebook, (str, Path)):
        codebook = load_codebook(codebook)
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        codebook = codebook or load_codebook(path)
        path = path.parent
    if path.is_dir():
        folder = path
        if codebook is None and (folder / "survey.yaml").is_file():
            codebook = load_codebook(folder / "survey.yaml")
        return _export_of(folder, codebook), codebook, folder
    folder = path.parent.parent if path.parent.name == "raw" else None
    if codebook is None and folder is not None and (folder / "survey.yaml").is_file():
        codebook = load_codebook(folder / "survey.yaml")
    return path, codebook, folder


def _export_of(folder: Path, codebook: Codebook | None) -> Path:
    raw = folder / "raw"
    if codebook is not None and codebook.raw:
        for candidate in (folder / codebook.raw, raw / codebook.raw):
            if candidate.is_file():
                return candidate
        raise MissingFileError(f"the export named in survey.yaml (raw: {codebook.raw}) "
                               "is not there", file=raw / codebook.raw,
                               hint="put the export in raw/ or fix `raw:` in survey.yaml")
    files = _exports_in(raw) if raw.is_dir() else []
    if not files and not raw.is_dir():
        files = _exports_in(folder)
        if len(files) > 1:
            from .draft import pair_exports

            pair = pair_exports(files)
            if pair is not None:
                return pair[0]
    if not files:
        raise MissingFileError("no export found", file=raw,
                               hint="put the raw export (csv/xlsx/xls/sav/dta) in raw/")
    if len(files) > 1:
        from .draft import pair_exports

        pair = pair_exports(files)
        if pair is not None:
            return pair[0]
        raise FileFormatError(f"raw/ holds {len(files)} exports: "
                              f"{', '.join(p.name for p in files)}", file=raw,
                              hint="name the one to read with `raw: <file>` in survey.yaml")
    return files[0]


def read_wave(path: str | Path, *, codebook: Codebook | str | Path | None = None,
              platform: str = "auto", mode: str = "auto", encoding: str = "auto",
              sheet: str | int | None = None, strict: bool | None = None) -> Wave:
    """Read a wave: codebook, export, targets.

    Parameters
    ----------
    path : str or Path
        A wave folder (``survey.yaml``, optional ``targets.yaml``, ``raw/``),
        a ``survey.yaml``, or a raw export file.  Without a codebook (bare
        export, or a folder without ``survey.yaml``) one is drafted from the
        export (:func:`analysis.ingest.draft_codebook`), pairing the two
        问卷星 download modes when both are present.
    codebook : Codebook or path, optional
        Use this codebook instead of the folder's.
    platform : {"auto", "wjx", "qualtrics", "spss", "stata", "generic"}, default "auto"
        Reader, as in :func:`read_export`.
    mode : {"auto", "text", "code"}, default "auto"
        Whether answers are labels or codes, as in :func:`read_export`.
    encoding : str, default "auto"
        Text files: codec, or detect; also used to draft a codebook.
    sheet : str or int, optional
        Excel: the sheet holding the responses, as in :func:`read_export`.
    strict : bool, optional
        Refuse instead of warn, as in :func:`read_export`.

    Returns
    -------
    Wave
        The tidy frame, the codebook, the folder's targets (None without a
        ``targets.yaml``) and the source information.
    """
    path = Path(path)
    export, cb, folder = _locate(path, codebook)
    if cb is None:
        from .draft import draft_codebook

        cb = draft_codebook(export, encoding=encoding)
    frame, source = read_export(export, cb, platform=platform, mode=mode, encoding=encoding,
                                wave_folder=folder if _is_wave_folder(folder) else None,
                                sheet=sheet, strict=strict)
    targets = None
    if folder is not None:
        tpath = folder / cb.weighting.targets
        if tpath.is_file():
            targets = load_targets(tpath)
    return Wave(frame, cb, targets, source)


def load_wave(path: str | Path, *, codebook: Codebook | str | Path | None = None,
              platform: str = "auto", mode: str = "auto", encoding: str = "auto",
              sheet: str | int | None = None, strict: bool | None = None) -> pd.DataFrame:
    """Load a wave as the tidy frame.

    Parameters
    ----------
    path : str or Path
        A wave folder, a ``survey.yaml`` or a raw export (see :func:`read_wave`);
        without a codebook one is drafted from the export.
    codebook : Codebook or path, optional
        Use this codebook instead of the folder's.
    platform : {"auto", "wjx", "qualtrics", "spss", "stata", "generic"}
        Reader; ``"auto"`` detects it.
    mode : {"auto", "text", "code"}
        Answers as labels or codes; ``"auto"`` detects it.
    encoding : str, default "auto"
        Text files: codec, or detect (BOM, UTF-8, GB18030).
    sheet : str or int, optional
        Excel: the sheet with the responses (name or 1-based number).
    strict : bool, optional
        Refuse what is otherwise accepted with a warning (default: the
        codebook's ``strict:``).

    Returns
    -------
    pandas.DataFrame
        One row per respondent: ``respondent_id``, ``source_row``,
        ``duration_s``, ``submitted_at``, ``started_at`` (if present),
        ``ip_hash``; question columns per ``Question.columns()``; derived
        variables; ``<qid>__missing`` statuses.  ``attrs`` holds ``wave``,
        ``codebook_json`` and ``source_json`` (strings).

    Examples
    --------
    >>> data = load_wave("surveys/demo-2022")  # doctest: +SKIP
    >>> data["q3"].value_counts()  # doctest: +SKIP
    """
    return read_wave(path, codebook=codebook, platform=platform, mode=mode,
                     encoding=encoding, sheet=sheet, strict=strict).data
