"""Typed exceptions and warnings shared by every module.

Every error raised on bad input is a :class:`SurveyError` (a ``ValueError``)
that says *what* is wrong, *where* (file, row, column, question, level) and
*how to fix it*.  The CLI prints ``str(err)`` as one line; the structured
fields stay available to callers and tests.

Statistical trouble that still yields a result (non-convergence, a lonely
PSU handled by an adjustment rule, ...) is a :class:`SurveyWarning`, so
users can filter the whole family with ``warnings.simplefilter``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "SurveyError",
    "InputFileError",
    "MissingFileError",
    "EmptyFileError",
    "EncodingError",
    "FileFormatError",
    "ColumnMismatchError",
    "UnknownLabelError",
    "DataValueError",
    "DuplicateIdError",
    "CleaningInvariantError",
    "CodebookError",
    "UnknownQuestionTypeError",
    "TargetsError",
    "DesignError",
    "WeightError",
    "LonelyPSUError",
    "CalibrationError",
    "ConvergenceError",
    "ModelError",
    "SeparationError",
    "IntervalError",
    "ReportError",
    "SurveyWarning",
    "ConvergenceWarning",
    "LonelyPSUWarning",
    "DataQualityWarning",
    "DisclosureWarning",
    "IngestWarning",
    "InvalidValueWarning",
    "CoercedValueWarning",
    "ConstraintWarning",
    "RoutingWarning",
    "MetadataWarning",
    "ExportMetadataWarning",
    "UnavailableDataWarning",
]

_LOCATION_FIELDS = ("file", "line", "row", "column", "question", "level", "stratum")


class SurveyError(ValueError):
    """Base class of every input error raised by :mod:`analysis`.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum : optional
        Where it is wrong.  Only the fields given are shown.
    hint : str, optional
        How to fix it.
    **details
        Extra structured context kept on ``.details`` (e.g. the rows affected).

    Notes
    -----
    Subclasses ``ValueError`` so generic callers can catch bad input the
    usual way; ``str(err)`` is a single line suitable for the CLI.
    """

    def __init__(
        self,
        message: str,
        *,
        file: Any = None,
        line: int | None = None,
        row: Any = None,
        column: Any = None,
        question: Any = None,
        level: Any = None,
        stratum: Any = None,
        hint: str | None = None,
        **details: Any,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.line = line
        self.row = row
        self.column = column
        self.question = question
        self.level = level
        self.stratum = stratum
        self.hint = hint
        self.details = details
        super().__init__(self._format())

    @property
    def location(self) -> dict[str, Any]:
        """The location fields that were given, in a fixed order."""
        return {k: getattr(self, k) for k in _LOCATION_FIELDS if getattr(self, k) is not None}

    def _format(self) -> str:
        where = ", ".join(f"{k} {v!r}" if isinstance(v, str) and k != "file" else f"{k} {v}"
                          for k, v in self.location.items())
        text = self.message.rstrip(".")
        if where:
            text += f" [{where}]"
        if self.hint:
            text += f". Fix: {self.hint.rstrip('.')}"
        return " ".join((text + ".").split())


class InputFileError(SurveyError):
    """A raw export or wave folder cannot be read.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class MissingFileError(InputFileError, FileNotFoundError):
    """The file or folder does not exist.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class EmptyFileError(InputFileError):
    """The file exists but holds no header or no data rows.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class EncodingError(InputFileError):
    """The bytes decode in none of the supported encodings.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class FileFormatError(InputFileError):
    """The file is not what its name or content claims (e.g. an .xlsx that is not a zip).

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class ColumnMismatchError(InputFileError):
    """Export columns do not match the codebook (missing or unknown questions).

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class UnknownLabelError(InputFileError):
    """An answer label or code is not among the codebook's options.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class DataValueError(InputFileError):
    """Strict mode: the export holds values the codebook does not allow.

    Raised instead of the :class:`IngestWarning` family when the codebook
    says ``strict: true`` or the caller passes ``strict=True``; ``details``
    holds ``issues``, one dict per kind of problem (warning class name,
    count, message).

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class DuplicateIdError(SurveyError):
    """Respondent ids repeat where they must be unique.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class CleaningInvariantError(SurveyError):
    """Rows in != rows kept + rows excluded after cleaning (must never happen).

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class CodebookError(SurveyError):
    """``survey.yaml`` is malformed or inconsistent; ``line`` points into the YAML.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class UnknownQuestionTypeError(CodebookError):
    """The codebook names a question type the package does not know.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class TargetsError(SurveyError):
    """``targets.yaml`` or a margins argument does not fit the data.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class DesignError(SurveyError):
    """A survey design cannot be built from the given columns.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class WeightError(DesignError):
    """Weights are missing, negative, zero or not finite.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class LonelyPSUError(DesignError):
    """A stratum has a single PSU under ``lonely_psu='fail'``.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class CalibrationError(SurveyError):
    """Weighting/calibration cannot meet its targets (infeasible bounds, empty cells, ...).

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class ConvergenceError(CalibrationError):
    """An iterative fit did not converge and ``strict=True`` was requested.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class ModelError(SurveyError):
    """A model cannot be fitted as specified.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class SeparationError(ModelError):
    """Perfect or quasi-perfect separation in a binary model.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class IntervalError(ModelError):
    """Interval-censored input is inconsistent (lower > upper, non-monotone bids, ...).

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class ReportError(SurveyError):
    """A notebook failed or a report/export could not be written.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum, hint, **details : optional
        Where it is wrong, how to fix it and extra context, as for :class:`SurveyError`.
    """


class SurveyWarning(UserWarning):
    """Base class of statistical warnings from :mod:`analysis`."""


class ConvergenceWarning(SurveyWarning):
    """An iterative procedure stopped before reaching its tolerance."""


class LonelyPSUWarning(SurveyWarning):
    """A stratum with one PSU was handled by an adjustment rule."""


class DataQualityWarning(SurveyWarning):
    """Input data looks suspicious but was accepted."""


class DisclosureWarning(SurveyWarning):
    """A cell was suppressed or flagged by disclosure control."""


class IngestWarning(DataQualityWarning):
    """Something wrong in the export, seen while loading it (the base of the ingest warnings).

    One warning is issued per kind of problem, with counts and the first
    rows; ``strict`` mode raises :class:`DataValueError` instead.

    Parameters
    ----------
    message : str
        What was found, how many, where (source rows, columns, questions, values).
    count : int, default 0
        Cells (or columns) affected.
    examples : list of dict, optional
        The first cases: ``row`` (source row), ``column``, ``question``, ``value``.
    questions : list of str, optional
        Questions affected.
    """

    #: Whether strict mode turns this kind into an error.
    strict = True

    def __init__(self, message: str, *, count: int = 0, examples: list[dict[str, Any]] | None = None,
                 questions: list[str] | None = None) -> None:
        super().__init__(message)
        self.count = count
        self.examples = list(examples or [])
        self.questions = list(questions or [])


class InvalidValueWarning(IngestWarning):
    """Cells that are not an answer the codebook allows (undefined code, not 0/1, not a number).

    Their status reads ``invalid:<raw value>``; :func:`analysis.clean` sets them
    to missing (rule ``invalid_code``).

    Parameters
    ----------
    message : str
        What was found, how many, where.
    count, examples, questions : optional
        Cells affected, the first cases and the questions, as for :class:`IngestWarning`.
    """


class CoercedValueWarning(IngestWarning):
    """Cells read after dropping text around a number (``25 years`` -> 25): check the reading.

    Parameters
    ----------
    message : str
        What was found, how many, where.
    count, examples, questions : optional
        Cells affected, the first cases and the questions, as for :class:`IngestWarning`.
    """


class ConstraintWarning(IngestWarning):
    """Answers that break a codebook constraint: kept for :func:`analysis.clean` to set aside.

    The constraints: outside ``range``, not whole although ``integer``, an
    ``exclusive`` option chosen with others, or more than ``max_choices``.

    Parameters
    ----------
    message : str
        What was found, how many, where.
    count, examples, questions : optional
        Cells affected, the first cases and the questions, as for :class:`IngestWarning`.
    """


class RoutingWarning(IngestWarning):
    """Answers given although ``show_if`` hid the question, or blanks although it was shown.

    Parameters
    ----------
    message : str
        What was found, how many, where.
    count, examples, questions : optional
        Cells affected, the first cases and the questions, as for :class:`IngestWarning`.
    """


class MetadataWarning(IngestWarning):
    """Respondent metadata (duration, submit/start time) that cannot be read; left missing.

    Parameters
    ----------
    message : str
        What was found, how many, where.
    count, examples, questions : optional
        Cells affected, the first cases and the questions, as for :class:`IngestWarning`.
    """


class ExportMetadataWarning(IngestWarning):
    """The export's own metadata disagrees with the codebook or is absent.

    SPSS/Stata value labels contradicting the options, a file without value
    labels, duplicate Qualtrics export tags.

    Parameters
    ----------
    message : str
        What was found, how many, where.
    count, examples, questions : optional
        Cells affected, the first cases and the questions, as for :class:`IngestWarning`.
    """


class UnavailableDataWarning(IngestWarning):
    """The export cannot carry some values (问卷星 code mode has no other-text).

    They are marked ``unavailable``; not an error in strict mode.

    Parameters
    ----------
    message : str
        What was found, how many, where.
    count, examples, questions : optional
        Cells affected, the first cases and the questions, as for :class:`IngestWarning`.
    """

    strict = False
