"""What a chapter notebook calls: the prepared wave and the chapter helpers.

``prepare_wave`` reads, cleans and weights a wave (recomputed in every
notebook, so notebooks share no state); ``open_chapter`` gives a notebook its
title, bilingual prose, findings collector and tables.  Split from
:mod:`analysis.report`, which executes notebooks and renders pages.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .i18n import TEXT, check_language, pick, t

if TYPE_CHECKING:

    from .codebook import Codebook
    from .findings import Findings


__all__ = [
    "Chapter",
    "open_chapter",
    "PreparedWave",
    "prepare_wave",
    "analysis_variables",
    "default_output_dir",
]

def _wave_folder(wave: str | Path) -> Path:
    path = Path(wave)
    if path.is_file() and path.name == "survey.yaml":
        path = path.parent
    if not (path / "survey.yaml").is_file():
        from .errors import MissingFileError

        raise MissingFileError("wave folder has no survey.yaml", file=path,
                               hint="pass the wave folder, e.g. surveys/demo-2022")
    return path.resolve()


def default_output_dir(wave: str | Path) -> Path:
    """``$GREENSURVEY_REPORTS/<wave>`` if set, else ``reports/<wave>`` next to ``surveys/``."""
    folder = Path(wave).resolve()
    env = os.environ.get("GREENSURVEY_REPORTS")
    if env:
        return Path(env).resolve() / folder.name
    return folder.parent.parent / "reports" / folder.name


@dataclass
class Chapter:
    """What a notebook needs: parameters, codebook, findings collector, prepared wave.

    Created by :func:`open_chapter`; notebooks call its methods only.
    """

    id: str
    wave_path: Path
    language: str
    output_dir: Path
    codebook: Codebook
    findings: Findings

    def title(self) -> Any:
        """The chapter's level-1 heading in the report language (for ``display``)."""
        from .i18n import heading

        return heading(f"chapter.{self.id}", self.language, level=1) if f"chapter.{self.id}" in TEXT \
            else heading("", self.language, level=1, text=self.id)

    def heading(self, text: Any, level: int = 2, **fields: Any) -> Any:
        """A heading from a catalogue key or a ``{"zh", "en"}`` mapping."""
        from .i18n import heading

        if isinstance(text, str) and text in TEXT:
            return heading(text, self.language, level=level, **fields)
        return heading("", self.language, level=level, text={k: pick(text, k).format(**fields)
                                                             for k in ("zh", "en")})

    def text(self, text: Any, **fields: Any) -> Any:
        """A paragraph from a catalogue key or a ``{"zh", "en"}`` mapping, formatted."""
        from .i18n import prose

        return prose(text, self.language, **fields)

    def label(self, value: Any) -> str:
        """A bilingual value in the report language."""
        return pick(value, self.language)

    @cached_property
    def wave(self) -> PreparedWave:
        """The prepared wave (cleaned and weighted), computed on first use."""
        return prepare_wave(self.wave_path)

    # -- recurring report blocks: each adds its table (and figure) and displays them ----
    def _show(self, *objects: Any) -> None:
        from IPython.display import display

        for obj in objects:
            if obj is not None:
                display(obj)

    def level_labels(self, variable: str) -> dict[str, str]:
        """Labels of a question's options or a derived variable's levels."""
        for d in self.codebook.derived:
            if d.id == variable:
                return {k: v.get(self.language) for k, v in d.labels.items()}
        try:
            return self.codebook.question(variable).labels(self.language)
        except Exception:  # not a question: levels are shown as they are
            return {}

    def variable_label(self, variable: str) -> str:
        """Label of a question or derived variable (the id if it has none)."""
        if f"variable.{variable}" in TEXT:
            return t(f"variable.{variable}", self.language)
        try:
            return self.codebook.question(variable).label.get(self.language)
        except Exception:  # derived variables have no label of their own
            return variable

    def term_label(self, variable: str, contrast: str = "") -> str:
        """Readable label of a model term: an option, a grid score or a level contrast."""
        lang = self.language
        for q in self.codebook.questions:
            if q.type == "multiple" and variable.startswith(q.id + "_"):
                key = variable[len(q.id) + 1:]
                if key in q.labels(lang):
                    return q.labels(lang)[key]
            if q.type == "grid" and variable == f"{q.id}_score":
                return q.label.get(lang) + ("（平均得分）" if lang == "zh" else " (mean score)")
            if variable == f"{q.id}_yes":
                return q.label.get(lang)
        levels = self.level_labels(variable)
        name = self.variable_label(variable)
        if " vs " in contrast and levels:
            a, b = contrast.split(" vs ", 1)
            return f"{name}：{levels.get(a, a)} vs {levels.get(b, b)}"
        return name

    def term_labels(self, result: Any) -> dict[Any, str]:
        """Labels for the rows of a model result (AMEs, key drivers), keyed like its index.

        Also takes a long frame with a ``variable`` column (subgroup prevalence)
        or a list of variable names.
        """
        if hasattr(result, "summary_frame"):
            keys = list(result.summary_frame().index)
        elif hasattr(result, "columns") and "variable" in result.columns:
            keys = list(dict.fromkeys(result["variable"]))
        else:
            keys = list(getattr(result, "index", result))
        return {key: self.term_label(*(key if isinstance(key, tuple) else (key,))) for key in keys}

    def shares(self, table_id: str, question: str, *, title: Any = None,
               headline: bool = False, figure: bool = True) -> None:
        """Weighted and unweighted shares of every option of ``question``, side by side.

        Select-all questions use :func:`analysis.multiresponse.mr_shares`
        (base: respondents shown the question); single-choice questions
        :meth:`SurveyDesign.proportion` (logit intervals).  Adds the table
        (with unweighted and weighted bases) and a bar chart, and displays both.
        """
        from .multiresponse import mr_shares
        from .plots import plot_shares

        q = self.codebook.question(question)
        w = self.wave
        if q.type == "multiple":
            weighted, unweighted = mr_shares(w.design, question), mr_shares(w.unweighted, question)
        else:
            weighted, unweighted = w.design.proportion(question), w.unweighted.proportion(question)
        label = title if title is not None else q.label
        labels = q.labels(self.language)
        table = self.findings.add(table_id, {"weighted": weighted, "unweighted": unweighted},
                                  title=label, row_labels=labels, headline=headline,
                                  n_weighted=w.base(question)["n_weighted"])
        fig = None
        if figure:
            fig = self.findings.figure(plot_shares(weighted, unweighted, labels=labels, title=label,
                                                   language=self.language, sort=not q.ordered),
                                       table_id.replace(".", "-"), title=label)
        self._show(table, fig)

    def funnel(self, table_id: str = "cleaning.funnel") -> None:
        """The exclusion funnel of the cleaning audit: excluded and remaining per rule."""
        from .plots import plot_funnel

        f = self.wave.cleaned.funnel()
        f = f[(f["action"] != "off") | (f["rule"] == "input")].set_index("rule")
        labels = {r: t(f"rule.{r}", self.language) if f"rule.{r}" in TEXT else lab
                  for r, lab in f["label"].items()}
        title = {"zh": "样本清理漏斗", "en": "Exclusion funnel"}
        table = self.findings.add(table_id, {"excluded": f["excluded"].rename("estimate"),
                                             "remaining": f["remaining"].rename("estimate")},
                                  title=title, unit="count", row_labels=labels,
                                  column_labels={"excluded": {"zh": "剔除", "en": "Excluded"},
                                                 "remaining": {"zh": "剩余", "en": "Remaining"}})
        fig = self.findings.figure(plot_funnel(f.assign(label=[labels[r] for r in f.index]),
                                               title=title, language=self.language),
                                   table_id.replace(".", "-"), title=title)
        self._show(table, fig)

    def margins(self, table_id: str, *, weighted: bool = True, figure: bool = True) -> None:
        """Sample (unweighted), weighted and population shares of every weighting variable.

        ``weighted=False`` shows only sample vs population (the cleaning chapter).
        """
        from .diagnostics import margins_table
        from .plots import plot_margins

        w = self.wave
        if w.targets is None:
            self._show(self.text({"zh": "本批次没有总体目标（targets.yaml），未加权。",
                                  "en": "This wave has no population targets (targets.yaml); "
                                        "it is not weighted."}))
            return
        table = margins_table(w.data, w.targets.as_margins(), w.design.weights)
        keys = [f"{v}|{lv}" for v, lv in zip(table["variable"], table["level"])]
        frame = table.assign(key=keys).set_index("key")
        labels = {k: f"{self.variable_label(v)}：{self.level_labels(v).get(lv, lv)}"
                  for k, v, lv in zip(keys, table["variable"], table["level"])}
        cols = {"sample": frame["sample_share"].rename("estimate")}
        if weighted:
            cols["weighted"] = frame["after_share"].rename("estimate")
        cols["target"] = frame["target_share"].rename("estimate")
        title = ({"zh": "加权前后的样本结构与总体目标", "en": "Margins before and after weighting"}
                 if weighted else {"zh": "未加权样本与总体结构", "en": "Unweighted sample vs population"})
        tab = self.findings.add(table_id, cols, title=title, row_labels=labels, column_labels={
            "sample": t("legend.sample", self.language), "weighted": t("legend.after", self.language),
            "target": t("legend.target", self.language)})
        fig = None
        if figure:
            shown = table if weighted else table.drop(columns="after_share")
            fig = self.findings.figure(plot_margins(
                shown, labels={v: self.level_labels(v) for v in table["variable"].unique()},
                variable_labels={v: self.variable_label(v) for v in table["variable"].unique()},
                title=title, language=self.language), table_id.replace(".", "-"), title=title)
        self._show(tab, fig)

    def weight_diagnostics(self, table_id: str = "weighting.summary") -> None:
        """Weight distribution, Kish design effect and effective sample size (table + histogram)."""
        from .diagnostics import weight_summary
        from .plots import plot_weights

        s = weight_summary(self.wave.design.weights)
        labels = {k: t(f"weights.{k}", self.language) for k in s.index}
        title = {"zh": "权重分布与设计效应", "en": "Weights, design effect and effective sample size"}
        table = self.findings.add(table_id, s.rename("estimate"), title=title, unit="number",
                                  row_labels=labels, rows=["min", "max", "mean", "cv",
                                                           "max_min_ratio", "deff", "ess"])
        fig = self.findings.figure(plot_weights(self.wave.design.weights, title=title,
                                                language=self.language),
                                   table_id.replace(".", "-"), title=title)
        self._show(table, fig)


def open_chapter(chapter: str, *, wave: str | Path, language: str = "zh",
                 output_dir: str | Path | None = None) -> Chapter:
    """Start a report chapter inside a notebook.

    Parameters
    ----------
    chapter : str
        Notebook stem, e.g. ``"03-headline-shares"``.
    wave : str or Path
        Wave folder (the notebook's ``wave`` parameter).
    language : {"zh", "en"}
    output_dir : str or Path, optional
        Report folder (default :func:`default_output_dir`).

    Returns
    -------
    Chapter
        Its ``findings`` save a fragment after every table or figure.
    """
    from .codebook import load_codebook
    from .findings import Findings

    check_language(language)
    folder = _wave_folder(wave)
    codebook = load_codebook(folder)
    out = Path(output_dir) if output_dir else default_output_dir(folder)
    findings = Findings(out, chapter, language, codebook.disclosure, autosave=True)
    return Chapter(chapter, folder, language, out, codebook, findings)


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
    source: Any
    cleaned: Any
    unweighted: Any
    design: Any
    targets: Any = None
    weighting: tuple[Any, ...] = ()

    @property
    def data(self) -> Any:
        """The respondent data the designs use."""
        return self.design.data

    @property
    def source_file(self) -> str:
        """File name of the raw export (no folders, so no local paths reach the report)."""
        return Path(str(getattr(self.source, "file", ""))).name

    def replicates(self, replicates: int = 200, seed: int = 20221205,
                   rep_type: str = "bootstrap") -> Any:
        """A replicate design with the weighting repeated in every replicate.

        For estimators that need replicates (key-driver importance): unlike
        converting :attr:`design`, the raking is redone per replicate, so the
        replicate SEs include the weighting's effect.
        """
        rep = self.unweighted.to_replicates(rep_type, replicates=replicates, seed=seed)
        return _weight(rep, self.targets, self.codebook) if self.targets is not None else rep

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


def analysis_variables(data: Any, codebook: Codebook) -> Any:
    """The cleaned frame plus model-ready variables (a new frame; ``attrs`` kept).

    * select-all option columns (pandas nullable booleans, which patsy cannot
      read) become 0/1 floats with NaN where the question was not shown;
    * ``<question>_yes`` (0/1, NaN if unanswered) for single questions with a
      ``yes`` option, so a purchase question can be a model outcome;
    * ``<grid>_score``: mean of a grid's items coded 1..k in option order,
      reverse-worded items flipped (``k + 1 - code``).
    """
    import numpy as np
    import pandas as pd

    out = data.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype):
            out[col] = out[col].astype("float64")
    for q in codebook.questions:
        if q.type == "single" and "yes" in {o.key for o in q.options} and q.id in out.columns \
                and f"{q.id}_yes" not in out.columns:
            answer = out[q.id]
            out[f"{q.id}_yes"] = (answer == "yes").astype("float64").where(answer.notna())
        if q.type == "grid" and f"{q.id}_score" not in out.columns:
            k = len(q.options)
            items = []
            for it in q.items:
                col = out[f"{q.id}_{it.id}"]
                codes = pd.Series(np.asarray(col.cat.codes, dtype=float) + 1, index=out.index)
                codes = codes.where(col.notna())
                items.append(k + 1 - codes if it.reverse else codes)
            out[f"{q.id}_score"] = pd.concat(items, axis=1).mean(axis=1)
    out.attrs = dict(data.attrs)
    return out


def _weight(design: Any, targets: Any, codebook: Codebook) -> Any:
    """Apply the codebook's weighting method (and trimming) to ``design``."""
    spec = codebook.weighting
    if spec.variables:
        targets = targets.model_copy(update={"margins": {
            k: v for k, v in targets.margins.items() if k in spec.variables}})
    margins = targets.as_margins()
    if spec.method == "rake":
        out = design.rake(margins)
    elif spec.method == "poststratify":
        out = design.poststratify(list(margins), margins)
    else:
        out = design.calibrate(margins)
    if spec.trim is not None:
        out = out.trim(spec.trim[0], spec.trim[1], relative=True)
    return out


def prepare_wave(wave: str | Path) -> PreparedWave:
    """Load, clean and weight a wave: the shared first step of every chapter.

    Reads the raw export against ``survey.yaml`` (:func:`analysis.ingest.read_wave`),
    cleans it (:func:`analysis.clean.clean`), adds model-ready variables
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
    from .clean import clean
    from .codebook import load_targets
    from .design import SurveyDesign
    from .ingest import read_wave
    from .ingest.wave import SALT_ENV

    folder = _wave_folder(wave)
    read = read_wave(folder)
    codebook = read.codebook
    # The CLI's --salt reaches the notebooks' kernels through the environment.
    cleaned = clean(read.data, codebook, salt=os.environ.get(SALT_ENV) or None)
    unweighted = SurveyDesign(analysis_variables(cleaned.data, codebook))
    target_file = folder / codebook.weighting.targets
    if not target_file.is_file():
        return PreparedWave(folder, codebook, read.source, cleaned, unweighted, unweighted)
    targets = load_targets(target_file)
    design = _weight(unweighted, targets, codebook)
    infos = tuple(c.info for c in design.calibrations if getattr(c, "info", None) is not None)
    return PreparedWave(folder, codebook, read.source, cleaned, unweighted, design, targets, infos)


# ------------------------------------------------------------------------- the build

