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
    """A raw export or wave folder cannot be read."""


class MissingFileError(InputFileError, FileNotFoundError):
    """The file or folder does not exist."""


class EmptyFileError(InputFileError):
    """The file exists but holds no header or no data rows."""


class EncodingError(InputFileError):
    """The bytes decode in none of the supported encodings."""


class FileFormatError(InputFileError):
    """The file is not what its name or content claims (e.g. an .xlsx that is not a zip)."""


class ColumnMismatchError(InputFileError):
    """Export columns do not match the codebook (missing or unknown questions)."""


class UnknownLabelError(InputFileError):
    """An answer label or code is not among the codebook's options."""


class DuplicateIdError(SurveyError):
    """Respondent ids repeat where they must be unique."""


class CleaningInvariantError(SurveyError):
    """Rows in != rows kept + rows excluded after cleaning (must never happen)."""


class CodebookError(SurveyError):
    """``survey.yaml`` is malformed or inconsistent; ``line`` points into the YAML."""


class UnknownQuestionTypeError(CodebookError):
    """The codebook names a question type the package does not know."""


class TargetsError(SurveyError):
    """``targets.yaml`` or a margins argument does not fit the data."""


class DesignError(SurveyError):
    """A survey design cannot be built from the given columns."""


class WeightError(DesignError):
    """Weights are missing, negative, zero or not finite."""


class LonelyPSUError(DesignError):
    """A stratum has a single PSU under ``lonely_psu='fail'``."""


class CalibrationError(SurveyError):
    """Weighting/calibration cannot meet its targets (infeasible bounds, empty cells, ...)."""


class ConvergenceError(CalibrationError):
    """An iterative fit did not converge and ``strict=True`` was requested."""


class ModelError(SurveyError):
    """A model cannot be fitted as specified."""


class SeparationError(ModelError):
    """Perfect or quasi-perfect separation in a binary model."""


class IntervalError(ModelError):
    """Interval-censored input is inconsistent (lower > upper, non-monotone bids, ...)."""


class ReportError(SurveyError):
    """A notebook failed or a report/export could not be written."""


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
