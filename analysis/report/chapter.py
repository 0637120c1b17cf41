"""What a chapter notebook calls: :func:`open_chapter` and its :class:`Chapter`.

``open_chapter`` gives a notebook its title, bilingual prose, findings
collector, codebook and the recurring report blocks (option shares, the
exclusion funnel, weighting margins and diagnostics).  ``chapter.wave`` is the
wave read, cleaned and weighted by :func:`analysis.pipeline.prepare_wave`,
recomputed in every notebook so notebooks share no state.  Split from
:mod:`analysis.report.build`, which executes notebooks and renders pages.
"""

from __future__ import annotations

import dataclasses
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..design.results import SurveyResult, probability_interval
from ..errors import CodebookError, IngestWarning
from ..pipeline import PreparedWave, prepare_wave, wave_folder
from .i18n import TEXT, check_language, pick, t
from .memo import BuildMemo
from .paths import FIGURE_FORMATS_ENV, default_output_dir

if TYPE_CHECKING:

    from ..codebook import Codebook
    from .findings import Findings


__all__ = ["Chapter", "Estimates", "open_chapter", "default_output_dir", "readable_note",
           "FIGURE_FORMATS_ENV"]


# Absolute paths (POSIX or Windows) in a warning message: only the file name may reach a page.
_PATH = re.compile(r"(?:[A-Za-z]:\\|/)(?:[^\s'\"\]\[,;:()]+[/\\])+([^\s'\"\]\[,;:()]+)")


def readable_note(message: Any, language: str = "en") -> str:
    """A warning's message as a data note: its text with local folders removed.

    In Chinese, every warning is led by a Chinese sentence saying what its kind
    means (a load-time warning of the export, an
    :class:`~analysis.errors.IngestWarning`, with its count and questions); the
    English detail (rows, columns, values) follows, since it quotes the data.

    Parameters
    ----------
    message : Warning or str
        A captured warning (or its text).
    language : {"en", "zh"}
        The report language.

    Returns
    -------
    str
        The first paragraph of the message, paths reduced to file names.
    """
    text = str(message).strip().split("\n\n", 1)[0]
    detail = _PATH.sub(lambda m: m.group(1), text)
    if language == "en" or not isinstance(message, Warning):
        return detail
    # The nearest class with a text: every warning has one (``Warning`` itself at worst).
    key = next(k for k in (f"note.{c.__name__}" for c in type(message).__mro__) if k in TEXT)
    if not isinstance(message, IngestWarning):
        return t("note.detail", language, summary=t(key, language), detail=detail)
    questions = list(message.questions)
    shown = "、".join(questions[:5]) + (f"等{len(questions)}题" if len(questions) > 5 else "")
    summary = t(key, language, count=message.count or "若干",
                questions=f"（题目：{shown}）" if shown else "")
    return t("note.detail", language, summary=summary, detail=detail)


@dataclass
class Chapter:
    """What a notebook needs: parameters, codebook, findings collector, prepared wave.

    Created by :func:`open_chapter`; notebooks call its methods only.

    Attributes
    ----------
    id : str
        Notebook stem, e.g. ``"03-headline-shares"``.
    wave_path : pathlib.Path
        The wave folder.
    language : {"zh", "en"}
        The report language of this run.
    output_dir : pathlib.Path
        The report folder.
    codebook : Codebook
        The wave's codebook.
    findings : Findings
        Collector of the chapter's tables and figures.
    notes : list of str
        Warnings captured so far, shown by :meth:`data_notes`.
    """

    id: str
    wave_path: Path
    language: str
    output_dir: Path
    codebook: Codebook
    findings: Findings
    notes: list[str] = field(default_factory=list)
    _memos: dict[str, BuildMemo] = field(default_factory=dict, init=False, repr=False)

    def memo(self, name: str) -> BuildMemo:
        """The chapter's results named ``name`` that its other language's pass reads.

        A :class:`~analysis.report.memo.BuildMemo` of its own per chapter
        (``<name>-<chapter id>``), so chapters running at once never overwrite
        each other's file; whoever fills it calls its ``save()``.

        Parameters
        ----------
        name : str
            What the results are (``"estimates"``).

        Returns
        -------
        BuildMemo
            The same object on every call of this chapter.
        """
        if name not in self._memos:
            self._memos[name] = BuildMemo(self.wave_path, f"{name}-{self.id}")
        return self._memos[name]

    @contextmanager
    def capture(self) -> Iterator[None]:
        """Collect the warnings raised inside the block as data notes (see :meth:`data_notes`).

        Yields
        ------
        None
            Warnings of the block land in :attr:`notes`, not on the page.
        """
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield
        for w in caught:
            note = readable_note(w.message, self.language)
            if note and note not in self.notes:
                self.notes.append(note)

    def note_failure(self, what: str, exc: BaseException) -> None:
        """Record that a block of the chapter could not be computed, as a readable data note.

        Parameters
        ----------
        what : str
            The question id or block (``"premium.dc"``).
        exc : BaseException
            What went wrong; only its message is kept (no traceback, paths reduced).
        """
        message = readable_note(exc, self.language) or type(exc).__name__
        note = (f"{what}：未能计算（{message}）" if self.language == "zh"
                else f"{what}: not computed ({message})")
        if note not in self.notes:
            self.notes.append(note)

    @contextmanager
    def block(self, what: str) -> Iterator[None]:
        """Run one block of a chapter: its warnings and, if it fails, its error become data notes.

        Parameters
        ----------
        what : str
            Name of the block in the note (a question id or a role).

        Yields
        ------
        None
        """
        with self.capture():
            try:
                yield
            except Exception as exc:  # noqa: BLE001 - a report boundary: the rest of the chapter runs
                self.note_failure(what, exc)

    def data_notes(self) -> Any:
        """A "data notes" box of the warnings captured so far (empty when there are none).

        Returns
        -------
        IPython.display.HTML
            A titled list of the notes, or empty HTML.
        """
        import html

        from IPython.display import HTML

        if not self.notes:
            return HTML("")  # display(None) would print "None" on the page
        head = "数据说明" if self.language == "zh" else "Data notes"
        items = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return HTML(f'<div class="gs-notes"><strong>{head}</strong><ul>{items}</ul></div>')

    def show(self, *objects: Any) -> None:
        """Display every object that is not ``None`` (tables, figures, prose).

        Parameters
        ----------
        *objects : object
            Anything IPython can display.
        """
        self._show(*objects)

    def title(self) -> Any:
        """Make the chapter's level-1 heading in the report language (for ``display``).

        Returns
        -------
        IPython.display.Markdown
            The catalogue title ``chapter.<id>``, or the id if there is none.
        """
        from .i18n import heading

        return heading(f"chapter.{self.id}", self.language, level=1) if f"chapter.{self.id}" in TEXT \
            else heading("", self.language, level=1, text=self.id)

    def heading(self, text: Any, level: int = 2, **fields: Any) -> Any:
        """Make a heading from a catalogue key or a ``{"zh", "en"}`` mapping.

        Parameters
        ----------
        text : str or mapping
            Catalogue id, or a ``{"zh": ..., "en": ...}`` mapping.
        level : int, default 2
            Heading level.
        **fields
            Values for the text's fields.

        Returns
        -------
        IPython.display.Markdown
            The heading in the report language.
        """
        from .i18n import heading

        if isinstance(text, str) and text in TEXT:
            return heading(text, self.language, level=level, **fields)
        return heading("", self.language, level=level, text={k: pick(text, k).format(**fields)
                                                             for k in ("zh", "en")})

    def text(self, text: Any, **fields: Any) -> Any:
        """Make a paragraph from a catalogue key or a ``{"zh", "en"}`` mapping, formatted.

        Parameters
        ----------
        text : str or mapping
            Catalogue id, or a ``{"zh": ..., "en": ...}`` mapping; a mapping given
            without ``fields`` is literal text (braces kept, HTML escaped).
        **fields
            Values for the text's fields.

        Returns
        -------
        IPython.display.HTML
            The paragraph in the report language.
        """
        import html

        from .i18n import prose

        if not fields and isinstance(text, dict):
            # A sentence built from facts (file names, sources): literal text, not a template.
            text = {k: html.escape(v).replace("{", "{{").replace("}", "}}") for k, v in text.items()}
        return prose(text, self.language, **fields)

    def label(self, value: Any) -> str:
        """Pick a bilingual value in the report language.

        Parameters
        ----------
        value : str or mapping
            A ``{"zh": ..., "en": ...}`` mapping, a bilingual label, or a plain string.

        Returns
        -------
        str
            The text in the report language.
        """
        return pick(value, self.language)

    @cached_property
    def wave(self) -> PreparedWave:
        """The prepared wave (cleaned and weighted), computed on first use.

        Load-time data warnings become data notes (:meth:`data_notes`).
        """
        with self.capture():
            return prepare_wave(self.wave_path)

    # -- recurring report blocks: each adds its table (and figure) and displays them ----
    def _show(self, *objects: Any) -> None:
        from IPython.display import display

        for obj in objects:
            if obj is not None:
                display(obj)

    def level_labels(self, variable: str) -> dict[str, str]:
        """Find the labels of a question's options or a derived variable's levels.

        Parameters
        ----------
        variable : str
            Question or derived-variable id.

        Returns
        -------
        dict of str to str
            Option key or level -> label in the report language; empty for other
            variables (their levels are shown as they are).
        """
        for d in self.codebook.derived:
            if d.id == variable:
                return {k: v.get(self.language) for k, v in d.labels.items()}
        try:
            return self.codebook.question(variable).labels(self.language)
        except CodebookError:  # not a question: levels are shown as they are
            return {}

    def variable_label(self, variable: str) -> str:
        """Find the label of a question or derived variable (the id if it has none).

        Parameters
        ----------
        variable : str
            Variable name.

        Returns
        -------
        str
            The catalogue's ``variable.<name>`` text, else the question's label,
            else ``variable``.
        """
        if f"variable.{variable}" in TEXT:
            return t(f"variable.{variable}", self.language)
        try:
            return self.codebook.question(variable).label.get(self.language)
        except CodebookError:  # derived variables have no label of their own
            return variable

    def variable_labels(self, variable: str) -> dict[str, str]:
        """Label of a question or derived variable in both languages.

        Parameters
        ----------
        variable : str
            Question or derived id.

        Returns
        -------
        dict
            ``{"zh": ..., "en": ...}``.
        """
        return {lang: Chapter(self.id, self.wave_path, lang, self.output_dir, self.codebook,
                              self.findings).variable_label(variable) for lang in ("zh", "en")}

    def term_label(self, variable: str, contrast: str = "") -> str:
        """Make a readable label of a model term: an option, a grid score or a level contrast.

        Parameters
        ----------
        variable : str
            The term's variable (an option column, ``<grid>_score``, ``<q>_yes``
            or a categorical variable).
        contrast : str, optional
            ``"a vs b"`` level contrast of a categorical variable.

        Returns
        -------
        str
            The label in the report language.
        """
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
        """Label the rows of a model result (AMEs, key drivers), keyed like its index.

        Also takes a long frame with a ``variable`` column (subgroup prevalence)
        or a list of variable names.

        Parameters
        ----------
        result : object
            A result with ``summary_frame``, a frame with a ``variable`` column, or
            a list of variable names.

        Returns
        -------
        dict
            Row key -> :meth:`term_label` (a tuple key is ``(variable, contrast)``).
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
        """Show the weighted and unweighted shares of every option of ``question``, side by side.

        Select-all questions use :func:`analysis.estimate.multiresponse.mr_shares`
        (base: respondents shown the question); single-choice questions
        :meth:`SurveyDesign.proportion` (logit intervals).  Adds the table
        (with unweighted and weighted bases) and a bar chart, and displays both.

        Parameters
        ----------
        table_id : str
            Findings id of the table (its figure is named after it).
        question : str
            A single-choice or select-all question id.
        title : str or mapping, optional
            Table and figure title; default the question's label.
        headline : bool, default False
            Also show the table on the index page.
        figure : bool, default True
            Add the bar chart.
        """
        from ..estimate.multiresponse import mr_shares
        from .plots import plot_shares

        q = self.codebook.question(question)
        w = self.wave

        def estimate() -> tuple[Estimates, Estimates]:
            if q.type == "multiple":
                both = [_logit_shares(mr_shares(d, question)) for d in (w.design, w.unweighted)]
            else:
                both = [d.proportion(question, na_rm=True) for d in (w.design, w.unweighted)]
            return Estimates.of(both[0]), Estimates.of(both[1])

        with self.capture():
            # language-free: the other language's pass reads them once the caller saves the memo
            weighted, unweighted = self.memo("estimates").get(("shares", question), estimate)
        label = title if title is not None else q.label
        labels = q.labels(self.language)
        # Without targets both columns would be the same numbers: show one.
        columns = ({"estimate": unweighted} if w.targets is None
                   else {"weighted": weighted, "unweighted": unweighted})
        table = self.findings.add(table_id, columns, title=label, row_labels=labels,
                                  headline=headline, n_weighted=w.base(question)["n_weighted"])
        fig = None
        if figure:
            with self.capture():
                fig = self.findings.figure(plot_shares(
                    weighted, None if w.targets is None else unweighted, labels=labels,
                    title=label, language=self.language, sort=not q.ordered),
                    table_id.replace(".", "-"), title=label)
        self._show(table, fig)

    def funnel(self, table_id: str = "cleaning.funnel") -> None:
        """Show the exclusion funnel of the cleaning audit: excluded and remaining per rule.

        Parameters
        ----------
        table_id : str, default "cleaning.funnel"
            Findings id of the table.
        """
        from .facts import rule_status
        from .plots import plot_funnel

        f = self.wave.cleaned.funnel()
        ran = rule_status(self.wave, self.language)["ran"]
        keep = [r == "input" or bool(ran.get(r, False)) for r in f["rule"]]
        f = f[keep].set_index("rule")  # a rule that could not run is listed by rules(), not as 0
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

    def margins(self, table_id: str, *, weighted: bool = True, figure: bool = True,
                heading: Any = None) -> None:
        """Show the sample (unweighted), weighted and population shares of every weighting variable.

        ``weighted=False`` shows only sample vs population (the cleaning chapter);
        ``heading`` is shown above the table only when the wave has targets.

        Parameters
        ----------
        table_id : str
            Findings id of the table.
        weighted : bool, default True
            Include the weighted shares (``False``: sample vs population only).
        figure : bool, default True
            Add the margins chart.
        heading : str or mapping, optional
            Heading shown above the table when the wave has targets.
        """
        from ..weight.diagnostics import margins_table
        from .plots import plot_margins

        w = self.wave
        if w.targets is None:
            if not weighted:  # the weighting chapter says it in its own words
                self._show(self.text({"zh": "本批次没有总体目标（targets.yaml），无法与总体结构比较，也未加权。",
                                      "en": "This wave has no population targets (targets.yaml): the "
                                            "sample is not compared with a population and not "
                                            "weighted."}))
            return
        if heading is not None:
            self._show(self.heading(heading))
        table = margins_table(w.data, w.targets.as_margins(), w.design.weights)
        keys = [f"{v}|{lv}" for v, lv in zip(table["variable"], table["level"])]
        frame = table.assign(key=keys).set_index("key")
        sep = "：" if self.language == "zh" else ": "
        labels = {k: f"{self.variable_label(v)}{sep}{self.level_labels(v).get(lv, lv)}"
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
        """Show the weight distribution, Kish design effect and effective sample size (table + histogram).

        Parameters
        ----------
        table_id : str, default "weighting.summary"
            Findings id of the table.
        """
        from ..weight.diagnostics import weight_summary
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

    # -- generic chapter blocks: sentences from facts of the wave ------------------------
    def rules(self) -> None:
        """Every cleaning rule with what it did, or why it could not run (no silent 0)."""
        from .facts import rule_status

        status = rule_status(self.wave, self.language)
        head = ("规则", "结果") if self.language == "zh" else ("Rule", "Result")
        self._show(status[["label", "status"]].set_axis(list(head), axis=1).set_index(head[0]))

    def weighting_labels(self) -> dict[str, dict[str, str]]:
        """Label the weighting variables in both languages (for :func:`facts.weighting_text`).

        Returns
        -------
        dict
            ``{"zh": {variable: label}, "en": {...}}``.
        """
        variables = list(self.wave.targets.margins) if self.wave.targets is not None else []
        out: dict[str, dict[str, str]] = {}
        for lang in ("zh", "en"):
            other = Chapter(self.id, self.wave_path, lang, self.output_dir, self.codebook,
                            self.findings)
            out[lang] = {v: other.variable_label(v) for v in variables}
        return out

    def weighting_summary(self) -> None:
        """Weight diagnostics when the wave is weighted; nothing otherwise."""
        if self.wave.targets is not None:
            with self.capture():
                self.weight_diagnostics()

    def weighting_note(self) -> Any:
        """Say in one sentence what the tables' columns are: weighted and unweighted, or unweighted only.

        Returns
        -------
        IPython.display.HTML
            The sentence in the report language.
        """
        if self.wave.targets is None:
            return self.text({"zh": "本批次没有总体目标（targets.yaml），以下结果均未加权。",
                              "en": "This wave has no population targets (targets.yaml): every "
                                    "result below is unweighted."})
        return self.text({"zh": "每张表并列给出加权与未加权结果；两者的差别就是加权对结论的影响。",
                          "en": "Every table shows weighted and unweighted results side by side; "
                                "the gap between them is what weighting changes."})

    def banner_note(self, variables: list[str]) -> Any:
        """Say which banner variables the tables use and where they come from.

        Parameters
        ----------
        variables : list of str
            The banner variables.

        Returns
        -------
        IPython.display.HTML
            The paragraph in the report language (or how to declare banners when
            there are none).
        """
        if not variables:
            return self.text({"zh": "问卷编码本没有声明分组变量（analysis.banner），也没有加权变量，"
                                    "因此没有分组交叉表。在 survey.yaml 中加入 analysis: {banner: [题目编号]} 即可。",
                              "en": "The codebook declares no banner variables (analysis.banner) and "
                                    "no weighting variables, so there are no banner tables. Add "
                                    "analysis: {banner: [question ids]} to survey.yaml."})
        declared = self.codebook.analysis.banner is not None
        names = {lang: ("、" if lang == "zh" else ", ").join(
            Chapter(self.id, self.wave_path, lang, self.output_dir, self.codebook,
                    self.findings).variable_label(v) for v in variables) for lang in ("zh", "en")}
        return self.text({"zh": "分组变量：{zh}（" + ("问卷编码本 analysis.banner 声明" if declared
                                                  else "默认为加权变量") + "）。",
                          "en": "Banner variables: {en} (" + ("declared in analysis.banner" if declared
                                                             else "by default the weighting variables")
                          + ")."}, **names)

    def targets_table(self) -> None:
        """The weighting targets with their sources (nothing without targets)."""
        from .export import targets_table

        if self.wave.targets is not None:
            self._show(targets_table(self.wave.targets, self.language))

    def variance_note(self) -> Any:
        """Say how standard errors were computed, from the design of this wave.

        Returns
        -------
        IPython.display.HTML
            The paragraph in the report language.
        """
        d = self.wave.design
        parts_zh, parts_en = [], []
        if d.strata_columns or d.psu_columns:
            parts_zh.append("按设计中的分层与初级抽样单元计算")
            parts_en.append("using the design's strata and primary sampling units")
        if self.wave.targets is not None:
            parts_zh.append("泰勒线性化，并计入加权校准（raking 残差）对方差的影响")
            parts_en.append("Taylor linearisation, including the effect of the weighting "
                            "calibration (raking residuals)")
        else:
            parts_zh.append("泰勒线性化，按简单随机抽样、每位受访者权重相同")
            parts_en.append("Taylor linearisation under simple random sampling with equal weights")
        return self.text({"zh": "标准误与 95% 置信区间：" + "；".join(parts_zh) + "。比例的置信区间在 logit 尺度上计算。"
                                "价格模型的区间用 Krinsky-Robb 模拟或自助法重复权重（固定随机种子）。",
                          "en": "Standard errors and 95% confidence intervals: " + "; ".join(parts_en)
                                + ". Intervals of shares are computed on the logit scale. Intervals of "
                                "price models use Krinsky-Robb draws or bootstrap replicate weights "
                                "(fixed seeds)."})


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

    Notes
    -----
    Figures are written as PNG and SVG, or in the formats listed in
    ``GREENSURVEY_FIGURE_FORMATS`` (:data:`FIGURE_FORMATS_ENV`).
    """
    from ..codebook import load_codebook
    from .findings import Findings

    check_language(language)
    folder = wave_folder(wave)
    codebook = load_codebook(folder)
    out = Path(output_dir) if output_dir else default_output_dir(folder)
    formats = [f.strip() for f in os.environ.get(FIGURE_FORMATS_ENV, "").split(",") if f.strip()]
    findings = Findings(out, chapter, language, codebook.disclosure, autosave=True,
                        figure_formats=formats or ("png", "svg"))
    return Chapter(chapter, folder, language, out, codebook, findings)


# ------------------------------------------------------------------------- the build


@dataclass(frozen=True)
class Estimates:
    """A result as a chapter's tables and charts read it: its summary frame and bases.

    What :meth:`Chapter.shares` keeps in the build memo (a result object
    holds closures that do not pickle); tables and charts take it as they
    take the result (``summary_frame()``, ``n_unweighted``, ``n_weighted``).

    Attributes
    ----------
    frame : DataFrame
        The result's ``summary_frame()``.
    n_unweighted : object
        The result's attribute of that name (None when it has none).
    n_weighted : object
        The result's attribute of that name (None when it has none).
    """

    frame: pd.DataFrame
    n_unweighted: Any = None
    n_weighted: Any = None

    @classmethod
    def of(cls, result: Any) -> Estimates:
        """Keep what a table or chart reads of ``result``.

        Parameters
        ----------
        result : SurveyResult
            Any result with ``summary_frame()``.

        Returns
        -------
        Estimates
            Its summary frame and bases.
        """
        return cls(result.summary_frame(), getattr(result, "n_unweighted", None),
                   getattr(result, "n_weighted", None))

    def summary_frame(self) -> pd.DataFrame:
        """Return the result's summary frame (a copy).

        Returns
        -------
        DataFrame
            ``estimate, se, ci_low, ci_high, ...`` by option.
        """
        return self.frame.copy()


def _logit_shares(result: SurveyResult) -> SurveyResult:
    """Option shares with intervals on the logit scale, as single-choice shares get.

    A Wald interval of a rare option reaches below 0 (``0.2%, -0.1-0.6%``); the
    delta-method interval on the logit scale stays inside [0, 1].
    """
    est, se = result.estimate.to_numpy(), result.se.to_numpy()
    df = float(np.min(result.df)) if isinstance(result.df, pd.Series) else float(result.df)
    return dataclasses.replace(
        result, method="logit",
        interval=lambda level: probability_interval(est, se, level, df))
