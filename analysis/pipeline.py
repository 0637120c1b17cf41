"""Prepare a wave once: read the raw export, clean it, add the analysis variables and
weight it to its targets.  Used by the CLI and by every report chapter alike.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .cleaning.derived import analysis_variables
from .weight.targets import weight_to_targets

if TYPE_CHECKING:
    import pandas as pd

    from .cleaning.cleaner import CleanResult
    from .codebook import Codebook, Targets
    from .ingest import SourceInfo
    from .survey import SurveyDesign
    from .weight.diagnostics import WeightingInfo

__all__ = ["PreparedWave", "prepare_wave", "wave_folder"]


def wave_folder(wave: str | Path) -> Path:
    """The wave folder holding ``survey.yaml`` (given the folder or the file), resolved.

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
        """A replicate design with the weighting repeated in every replicate.

        For estimators that need replicates (key-driver importance): unlike
        converting :attr:`design`, the raking is redone per replicate, so the
        replicate SEs include the weighting's effect.
        """
        rep = self.unweighted.to_replicates(type=rep_type, replicates=replicates, seed=seed)
        return weight_to_targets(rep, self.targets, self.codebook) if self.targets is not None else rep

    def base(self, question: str, *, exclude: Sequence[str] = ()) -> dict[str, float]:
        """Unweighted and weighted base of ``question``: respondents with an answer.

        ``exclude`` drops answers with these option keys (e.g. ``("never",)``
        for the buyers of a price ladder).  Returns ``{"n_unweighted": ...,
        "n_weighted": ...}``, ready to pass to :meth:`Findings.add`.
        """
        data = self.data
        cols = [question] if question in data.columns else [
            c for c in self.codebook.question(question).columns() if not c.endswith("_other_text")]
        answered = data[cols].notna().any(axis=1).to_numpy()
        if exclude and question in data.columns:
            answered = answered & ~data[question].isin(list(exclude)).to_numpy()
        return {"n_unweighted": int(answered.sum()),
                "n_weighted": float(self.design.weights[answered].sum())}


def prepare_wave(wave: str | Path) -> PreparedWave:
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

    Raises
    ------
    SurveyError
        From the reader, cleaning or weighting, naming file, row or column.
    """
    from .cleaning.cleaner import clean
    from .codebook import load_targets
    from .ingest import read_wave
    from .ingest.wave import SALT_ENV
    from .survey import SurveyDesign

    folder = wave_folder(wave)
    read = read_wave(folder)
    codebook = read.codebook
    # The CLI's --salt reaches the notebooks' kernels through the environment.
    cleaned = clean(read.data, codebook, salt=os.environ.get(SALT_ENV) or None)
    unweighted = SurveyDesign(analysis_variables(cleaned.data, codebook))
    target_file = folder / codebook.weighting.targets
    if not target_file.is_file():
        return PreparedWave(folder, codebook, read.source, cleaned, unweighted, unweighted)
    targets = load_targets(target_file)
    design = weight_to_targets(unweighted, targets, codebook)
    infos = tuple(c.info for c in design.calibrations if getattr(c, "info", None) is not None)
    return PreparedWave(folder, codebook, read.source, cleaned, unweighted, design, targets, infos)
