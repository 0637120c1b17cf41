"""Provisional option codes: guessed by a draft, never used to decode codes.

A codebook drafted from a text-mode export (labels only) has to invent the
option codes.  Such questions carry ``provisional: true`` in ``survey.yaml``;
the labels decode the same text-mode file correctly, but a code-mode file
(问卷星 按选项序号, Qualtrics numeric values, SPSS/Stata, codes in a plain
table) holds the platform's codes, which may differ from the guess.
:func:`refuse_provisional` stops such a read with the fix.
"""

from __future__ import annotations

from typing import Any

from ..errors import CodebookError, SurveyWarning

__all__ = ["DraftWarning", "ProvisionalCodesError", "refuse_provisional", "DECODED_BY_CODE"]

#: Question types whose answers a code-mode file gives as option codes.
DECODED_BY_CODE = ("single", "likert", "grid", "price_ladder", "payment_card")


class DraftWarning(SurveyWarning):
    """What a codebook draft guessed or inferred (paired downloads, ordered scales, guessed codes).

    Parameters
    ----------
    message : str
        What was guessed or inferred, and for which questions.
    questions : list of str, optional
        The question ids concerned.
    """

    def __init__(self, message: str, *, questions: list[str] | None = None) -> None:
        super().__init__(message)
        self.questions = list(questions or [])


class ProvisionalCodesError(CodebookError):
    """A code-mode export was read with a codebook whose option codes are still guesses.

    Parameters
    ----------
    message : str
        What is wrong, in one sentence.
    file, line, row, column, question, level, stratum : optional
        Where it is wrong (:class:`analysis.errors.SurveyError`).
    hint : str, optional
        How to fix it.
    **details
        Extra structured context kept on ``.details``.
    """


def refuse_provisional(codebook: Any, mode: str, file: Any = None) -> None:
    """Refuse to decode a code-mode export with provisional option codes.

    Parameters
    ----------
    codebook : Codebook
        The codebook used to read the export.
    mode : str
        The export's mode (``"text"`` or ``"code"``).
    file : str or Path, optional
        The export, for the message.

    Raises
    ------
    ProvisionalCodesError
        In code mode, when a question decoded by its codes is ``provisional``.
    """
    if mode != "code":
        return
    guessed = [q.id for q in codebook.questions
               if getattr(q, "provisional", False) and q.type in DECODED_BY_CODE]
    if not guessed:
        return
    shown = ", ".join(guessed[:8]) + (f" and {len(guessed) - 8} more" if len(guessed) > 8 else "")
    raise ProvisionalCodesError(
        f"the export holds option codes, but the codes of {shown} in survey.yaml are "
        "provisional (guessed from a text-mode download); decoding them could swap answers",
        file=file, question=guessed[0],
        hint="draft the codebook again with the code-mode download beside the text-mode one "
             "(greensurvey codebook <text export>: they are paired by content), or check each "
             "option's code against the questionnaire and delete `provisional: true`; "
             "see docs/codebook.md#provisional-codes")
