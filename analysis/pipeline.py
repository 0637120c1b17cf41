"""Prepare a wave once: read the raw export, clean it, add the analysis variables and
weight it to its targets.  Used by the CLI and by every report chapter alike.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import pandas as pd

    from .cleaning.cleaner import CleanResult
    from .codebook import Codebook, Targets
    from .ingest import SourceInfo
    from .survey import SurveyDesign
    from .weight.diagnostics import WeightingInfo

__all__ = ["PreparedWave", "prepare_wave", "wave_folder", "WAVE_CACHE_ENV", "wave_cache_key",
           "cached_respondent_ids", "record_warnings", "replay_warnings"]

#: Folder of the prepared-wave cache.  The report build sets it for its kernels so the
#: wave is read, cleaned and weighted once per build; unset, nothing is cached.
WAVE_CACHE_ENV = "GREENSURVEY_WAVE_CACHE"
# Folders of a wave that are not inputs of the prepared wave (outputs, working copies).
_NOT_INPUTS = ("interim", "notebooks")


def wave_folder(wave: str | Path) -> Path:
    """Find the wave folder holding ``survey.yaml`` (given the folder or the file), resolved.

    Parameters
    ----------
    wave : str or pathlib.Path
        The wave folder or its ``survey.yaml``.

    Returns
    -------
    pathlib.Path
        The folder, as an absolute path.

    Raises
    ------
    MissingFileError
        The folder has no ``survey.yaml``.
    """
    path = Path(wave)
    if path.is_file() and path.name == "survey.yaml":
        path = path.parent
    if not (path / "survey.yaml").is_file():
        from .errors import MissingFileError

        raise MissingFileError("wave folder has no survey.yaml", file=path,
                               hint="pass the wave folder, e.g. surveys/demo-2022")
    return path.resolve()


@dataclass(frozen=True, eq=False)
class PreparedWave:
    """A wave loaded, cleaned and weighted: what every chapter starts from.

    Attributes
    ----------
    folder : Path
    codebook : Codebook
    source : object
        The reader's provenance (file, sha256, platform, mode, encoding, rows).
    cleaned : CleanResult
        Kept rows, audit, funnel.
    unweighted : SurveyDesign
        Equal weights on the kept rows (the "unweighted" column of tables).
    design : SurveyDesign
        Weighted to the wave's targets (equal to ``unweighted`` without targets).
    targets : Targets or None
    weighting : tuple of WeightingInfo
        Diagnostics of each weighting step (raking, trimming), in order.

    Notes
    -----
    The designs' data add model-ready variables to the cleaned frame (see
    :func:`analysis_variables`): select-all option columns as 0/1 floats,
    ``<question>_yes`` for yes/no questions and ``<grid>_score`` for grids.
    """

    folder: Path
    codebook: Codebook
    source: SourceInfo
    cleaned: CleanResult
    unweighted: SurveyDesign
    design: SurveyDesign
    targets: Targets | None = None
    weighting: tuple[WeightingInfo, ...] = ()

    @property
    def data(self) -> pd.DataFrame:
        """The respondent data the designs use."""
        return self.design.data

    @property
    def source_file(self) -> str:
        """File name of the raw export (no folders, so no local paths reach the report)."""
        return Path(str(getattr(self.source, "file", ""))).name

    def replicates(self, replicates: int = 200, seed: int = 20221205,
                   rep_type: str = "bootstrap") -> SurveyDesign:
        """Build a replicate design with the weighting repeated in every replicate.

        For estimators that need replicates (key-driver importance): unlike
        converting :attr:`design`, the raking is redone per replicate, so the
        replicate SEs include the weighting's effect.

        Parameters
        ----------
        replicates : int, default 200
            Number of bootstrap replicates (other types fix their own).
        seed : int, default 20221205
            Seed of the replicate draw, fixed so that every chapter gets the same
            replicates.
        rep_type : {"bootstrap", "JK1", "JKn", "BRR", "Fay"}, default "bootstrap"
            Replicate method, as in :func:`analysis.design.replicates.to_replicates`.

        Returns
        -------
        SurveyDesign
            The unweighted design's replicates, weighted to the wave's targets
            (replicates of equal weights when the wave has no targets).
        """
        from .weight.targets import weight_to_targets

        rep = self.unweighted.to_replicates(type=rep_type, replicates=replicates, seed=seed)
        return weight_to_targets(rep, self.targets, self.codebook) if self.targets is not None else rep

    def base(self, question: str, *, exclude: Sequence[str] = ()) -> dict[str, float]:
        """Count the unweighted and weighted base of ``question``: respondents with an answer.

        ``exclude`` drops answers with these option keys (e.g. ``("never",)``
        for the buyers of a price ladder).  Returns ``{"n_unweighted": ...,
        "n_weighted": ...}``, ready to pass to :meth:`Findings.add`.

        Parameters
        ----------
        question : str
            A column of :attr:`data` or a codebook question id (any of its answer
            columns answered counts; other-specify text does not).
        exclude : sequence of str, optional
            Option keys whose answers do not count (single-column questions only).

        Returns
        -------
        dict of str to float
            ``{"n_unweighted": int, "n_weighted": float}`` (the weights of
            :attr:`design`).
        """
        data = self.data
        cols = [question] if question in data.columns else [
            c for c in self.codebook.question(question).columns() if not c.endswith("_other_text")]
        answered = data[cols].notna().any(axis=1).to_numpy()
        if exclude and question in data.columns:
            answered = answered & ~data[question].isin(list(exclude)).to_numpy()
        return {"n_unweighted": int(answered.sum()),
                "n_weighted": float(self.design.weights[answered].sum())}


def wave_cache_key(wave: str | Path) -> str:
    """Compute the key of a wave's prepared-wave cache: its inputs, the salt and the software.

    A sha256 over the package, Python and pandas versions, the folder, a hash of the salt in
    ``GREENSURVEY_SALT`` (hashed personal columns depend on it) and the sha256 of
    every input file of the wave folder (``survey.yaml``, the targets, ``raw/``;
    not ``interim/``, ``notebooks/`` or hidden files).  Any change gives a new key,
    so a stale cache is never read.

    Parameters
    ----------
    wave : str or pathlib.Path
        The wave folder or its ``survey.yaml``.

    Returns
    -------
    str
        The first 32 hex characters of the sha256.
    """
    import platform

    import pandas as pd

    from ._version import __version__
    from .ingest.wave import SALT_ENV, file_sha256

    folder = wave_folder(wave)
    salt = os.environ.get(SALT_ENV) or ""
    parts = [f"greensurvey {__version__}", f"python {platform.python_version()}",
             f"pandas {pd.__version__}", f"folder {folder}", "salt " + hashlib.sha256(salt.encode()).hexdigest()]
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and rel.parts[0] not in _NOT_INPUTS \
                and not any(p.startswith(".") for p in rel.parts):
            parts.append(f"{rel.as_posix()} {file_sha256(path)}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:32]


def cached_respondent_ids(wave: str | Path, cache_dir: str | Path) -> list[str] | None:
    """Read the respondent ids and IP hashes of the raw export, as saved with the cached wave.

    ``None`` when the wave was not prepared into ``cache_dir`` (for the report's
    scan of its outputs, which must not hold any of them).

    Parameters
    ----------
    wave : str or pathlib.Path
        The wave folder or its ``survey.yaml``.
    cache_dir : str or pathlib.Path
        The prepared-wave cache folder.

    Returns
    -------
    list of str or None
        The saved ids and hashes; ``None`` when the wave was not prepared into
        ``cache_dir``.
    """
    path = Path(cache_dir) / f"respondents-{wave_cache_key(wave)}.json"
    if not path.is_file():
        return None
    return list(json.loads(path.read_text(encoding="utf-8")))


def _cached(folder: Path, cache_dir: Path) -> PreparedWave:
    """The prepared wave from ``cache_dir``, preparing and saving it on first use.

    Concurrent processes (the report's parallel kernels) take a file lock, so
    the wave is prepared once and the others read it.  The pickle is written
    to a temporary name and renamed, so a reader never sees half a file.  The
    warnings of the preparation (the export's load-time warnings) are saved
    with it and issued again on every read, as if each caller had prepared
    the wave itself: a chapter's data notes do not depend on which kernel
    prepared the wave.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    key = wave_cache_key(folder)
    path = cache_dir / f"prepared-{key}.pickle"
    warned = cache_dir / f"warnings-{key}.pickle"
    with _locked(cache_dir / f"prepared-{key}.lock"):
        if path.is_file():
            # The cache is written by this build into its own folder (never surveys/)
            # and keyed by the inputs, so what is read is what was written.
            with path.open("rb") as fh:
                prepared = pickle.load(fh)  # noqa: S301
            with warned.open("rb") as fh:
                caught = pickle.load(fh)  # noqa: S301
        else:
            (prepared, ids), caught = record_warnings(lambda: _prepare(folder))
            warned.write_bytes(pickle.dumps(caught, protocol=pickle.HIGHEST_PROTOCOL))
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(tmp, path)
            (cache_dir / f"respondents-{key}.json").write_text(json.dumps(ids), encoding="utf-8")
    replay_warnings(caught)
    return prepared


T = TypeVar("T")
#: Caught warnings as :func:`warnings.warn_explicit` arguments (message, category, file, line).
CaughtWarnings = list[tuple[Any, type[Warning], str, int]]


def record_warnings(compute: Callable[[], T]) -> tuple[T, CaughtWarnings]:
    """Run ``compute()`` and keep its warnings in a form that can be pickled and replayed.

    Parameters
    ----------
    compute : callable
        Called without arguments.

    Returns
    -------
    value : object
        What ``compute`` returned.
    caught : list of tuple
        Its warnings for :func:`replay_warnings`; a warning that does not
        survive pickling is kept as its text (the text is what data notes show).
    """
    record: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            value = compute()
    except BaseException:
        # nothing is kept when ``compute`` fails: its warnings go out as if never recorded
        for w in record:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        raise
    caught: CaughtWarnings = []
    for w in record:
        message: Any = w.message
        try:
            pickle.loads(pickle.dumps(message))  # noqa: S301 - our own bytes, just written
        except Exception:  # noqa: BLE001 - any warning class may refuse pickling
            message = str(message)
        caught.append((message, w.category, w.filename, w.lineno))
    return value, caught


def replay_warnings(caught: CaughtWarnings) -> None:
    """Issue warnings kept by :func:`record_warnings` again, as if the computation had run here.

    Parameters
    ----------
    caught : list of tuple
        As returned by :func:`record_warnings`.
    """
    for message, category, filename, lineno in caught:
        warnings.warn_explicit(message, category, filename, lineno)


class _locked:
    """An exclusive lock on ``path`` for the ``with`` block (no-op where fcntl is missing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: IO[str] | None = None

    def __enter__(self) -> _locked:
        try:
            import fcntl
        except ImportError:  # Windows: parallel kernels may both prepare; results are equal
            return self
        fh = self.path.open("a")
        fcntl.flock(fh, fcntl.LOCK_EX)
        self.fh = fh
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            self.fh.close()  # closing the file releases the flock


def prepare_wave(wave: str | Path, *, cache_dir: str | Path | None = None) -> PreparedWave:
    """Load, clean and weight a wave: the shared first step of every chapter.

    Reads the raw export against ``survey.yaml`` (:func:`analysis.ingest.read_wave`),
    cleans it (:func:`analysis.cleaning.cleaner.clean`), adds model-ready variables
    (:func:`analysis_variables`) and weights the kept rows to ``targets.yaml``
    with the method in ``survey.yaml`` (``weighting:``), trimming to
    ``weighting.trim`` (multiples of the mean weight) when given.  Everything
    is recomputed from the raw files, deterministically, so notebooks share no
    hidden state (about 2 s for the 4,000-row demo wave).  Personal columns
    marked ``hash`` are hashed with the salt in ``GREENSURVEY_SALT`` (what the
    CLI's ``--salt`` sets).

    Parameters
    ----------
    wave : str or Path
        The wave folder (or its ``survey.yaml``).
    cache_dir : str or Path, optional
        Keep the prepared wave in this folder, keyed by :func:`wave_cache_key`,
        and read it from there when the key matches (default: the folder in
        ``GREENSURVEY_WAVE_CACHE``, which the report build sets for its
        kernels; unset: no cache).  Every call still returns a fresh object.

    Returns
    -------
    PreparedWave
        The codebook, cleaning result, unweighted and weighted designs, targets
        and weighting diagnostics.

    Raises
    ------
    SurveyError
        From the reader, cleaning or weighting, naming file, row or column.
    """
    folder = wave_folder(wave)
    cache = cache_dir if cache_dir is not None else os.environ.get(WAVE_CACHE_ENV)
    if cache:
        return _cached(folder, Path(cache))
    return _prepare(folder)[0]


def _prepare(folder: Path) -> tuple[PreparedWave, list[str]]:
    """The prepared wave and the raw export's respondent ids and IP hashes."""
    # Imported here, not at the top: the report build reads this module's paths and cache
    # names before it starts its kernels, and these imports load the whole stack.
    from .cleaning.cleaner import clean
    from .cleaning.derived import analysis_variables
    from .codebook import load_targets
    from .ingest import read_wave
    from .ingest.wave import SALT_ENV
    from .survey import SurveyDesign
    from .weight.targets import weight_to_targets

    read = read_wave(folder)
    codebook = read.codebook
    ids = [str(v) for col in ("respondent_id", "ip_hash") if col in read.data.columns
           for v in read.data[col].dropna().unique()]
    # The CLI's --salt reaches the notebooks' kernels through the environment.
    cleaned = clean(read.data, codebook, salt=os.environ.get(SALT_ENV) or None)
    unweighted = SurveyDesign(analysis_variables(cleaned.data, codebook))
    target_file = folder / codebook.weighting.targets
    if not target_file.is_file():
        return PreparedWave(folder, codebook, read.source, cleaned, unweighted, unweighted), ids
    targets = load_targets(target_file)
    design = weight_to_targets(unweighted, targets, codebook)
    infos = tuple(c.info for c in design.calibrations if getattr(c, "info", None) is not None)
    return PreparedWave(folder, codebook, read.source, cleaned, unweighted, design, targets,
                        infos), ids
