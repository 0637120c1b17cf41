"""The C-level pre-test of :func:`analysis.pii.scrub_text` never hides personal data.

``scrub_text`` runs its Python regexes only on distinct texts that pass
``_maybe_pii`` (an Arrow test: ``@ : .``, a cue, or a run of ten digits).  These tests
check that the pre-test is a necessary condition: every text in which
:func:`find_pii` finds something passes it, over the whole Unicode range where
Python and Arrow could disagree (digits, case folding).
"""

from __future__ import annotations

import re
import sys
import unicodedata

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.pii import _MIN_DIGITS, _maybe_pii, find_pii, scrub_text


def test_every_python_digit_counts_as_a_digit():
    digits = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isdecimal()]
    assert len(digits) > 600  # all scripts' decimal digits, not just 0-9
    texts = pd.Index([d * _MIN_DIGITS for d in digits], dtype="string")
    assert _maybe_pii(texts).all()


def test_letters_python_folds_onto_a_cue_letter_pass():
    # (?i) in Python equates a few non-ASCII letters with ASCII ones (Kelvin sign, long s,
    # dotted and dotless i): a cue spelled with them must pass, whatever Arrow folds.
    # Those that NFKC maps to ASCII (scrub_text matches on NFKC text) need nothing more.
    letter = re.compile(r"(?i)[a-z]")
    odd = [chr(c) for c in range(128, sys.maxunicode + 1) if letter.match(chr(c))
           and not unicodedata.normalize("NFKC", chr(c)).isascii()]
    assert odd
    assert _maybe_pii(pd.Index([f"x{c}x" for c in odd], dtype="string")).all()


def test_texts_without_any_trigger_fail_the_pretest():
    texts = pd.Index(["12345678", "respondent 4711234 (source row 4711235)", "很满意",
                      "R_b7xWfK9Y", "1999元, 2023年"], dtype="string")
    assert not _maybe_pii(texts).any()


_PIECES = st.sampled_from(
    ["1", "3", "8", "0", "9", "X", " ", "-", ".", ":", "@", "a", "b.cn", "微信", "QQ", "tel",
     "电话", "邮编", "wxid_", "１", "：", "＠", "ſ", "K", "138", "0010", "+86", "是", "号", "\u0663", "(", ")", "(010)", "  "])


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=24).map("".join))
def test_pretest_is_necessary_and_scrub_matches_find_pii(text):
    if find_pii(text):
        assert _maybe_pii(pd.Index([text], dtype="string"))[0]
    out, report = scrub_text(pd.Series([text, "plain 42"]))
    assert out.iloc[1] == "plain 42"
    assert (len(report) > 0) == bool(find_pii(text))
    if not find_pii(text):
        assert out.iloc[0] == text


def test_many_distinct_ids_scrubbed_like_one_by_one():
    ids = pd.Series([str(i) for i in range(1, 3001)] + ["13812345678", "a@b.cn"],
                    dtype="string")
    out, report = scrub_text(ids)
    assert out.iloc[:3000].tolist() == ids.iloc[:3000].tolist()
    assert out.iloc[3000:].tolist() == ["[mobile]", "[email]"]
    assert report["row"].tolist() == [3000, 3001]
    assert np.array_equal(report["kind"].to_numpy(), np.array(["mobile", "email"], dtype=object))
