"""Platform respondent ids are not personal data; cue words must stand as words (issue 9.5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_clean_helpers import make_frame

from analysis.cleaning.cleaner import clean
from analysis.pii import find_pii, scrub_text

_ALNUM = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))


def qualtrics_ids(n: int, seed: int = 20240905) -> list[str]:
    """``n`` random Qualtrics response ids: ``R_`` + 15 of ``[A-Za-z0-9]``."""
    rng = np.random.default_rng(seed)
    return ["R_" + "".join(row) for row in rng.choice(_ALNUM, size=(n, 15))]


def kinds(text: str) -> list[str]:
    return [m.kind for m in find_pii(text)]


def test_random_qualtrics_ids_hold_no_personal_data():
    ids = qualtrics_ids(2000)
    # The sample must contain the cue letters the old rules tripped over, else it proves nothing.
    assert sum("vx" in i.lower() or "wx" in i.lower() for i in ids) > 5
    assert [i for i in ids if find_pii(i)] == []
    _, report = scrub_text(pd.Series(ids))
    assert report.empty


@pytest.mark.parametrize("text", [
    "R_b7vxWfK9YNpnXTN",       # the id from the issue: "vx" + "WfK9YNpnXTN"
    "R_2wxCWZIdcKleZWm",       # "wx" inside the token
    "R_9qq123456ABCDEF",       # "qq" + digits inside the token
    "R_ab9tel2345678xy",       # "tel" + 7 digits inside the token
    "hotel 2345678",           # "tel" at the end of a word
    "abcvx abc_123456",        # cue glued to the end of a word
    "vxabc123456",             # cue glued to the start of a word
    "QQ123456789abc",          # the number runs on into letters
    "wechatpay abc12345",
])
def test_cues_inside_a_longer_token_are_no_cue(text):
    assert find_pii(text) == []


@pytest.mark.parametrize("seq", [1, 42, 800, 123456, 9999999999])
def test_wjx_sequence_numbers_hold_no_personal_data(seq):
    assert find_pii(str(seq)) == []


@pytest.mark.parametrize(("text", "scrubbed"), [
    ("vx: abc123", "vx: [wechat]"),
    ("加vx abc_123456", "加vx [wechat]"),
    ("微信号abc123456", "微信号[wechat]"),
    ("VX号abc1234", "VX号[wechat]"),
    ("wechatid: abc1234", "wechatid: [wechat]"),
    ("WeChat ID is Eco-User_1", "WeChat ID is [wechat]"),
    ("v信 abc12345", "v信 [wechat]"),
    ("我的微信是wxid_abc123xyz", "我的微信是[wechat]"),
    ("wxid_k2j3h4g5f6a7", "[wechat]"),
    ("QQ123456789", "QQ[qq]"),
    ("qq: 12345", "qq: [qq]"),
    ("tel 62751234", "tel [landline]"),
    ("Tel:62751234", "Tel:[landline]"),
])
def test_genuine_cue_mentions_are_still_found(text, scrubbed):
    out, report = scrub_text(pd.Series([text]))
    assert out[0] == scrubbed
    assert len(report) == 1


def test_clean_accepts_qualtrics_ids_without_a_salt():
    frame = make_frame(12)
    frame["respondent_id"] = qualtrics_ids(12, seed=1)
    frame.loc[0, "respondent_id"] = "R_b7vxWfK9YNpnXTN"
    res = clean(frame)
    assert res.n_in == 12
    assert "respondent_id" not in set(res.audit["column"].dropna())
    assert set(res.data["respondent_id"]) <= set(frame["respondent_id"])


def test_clean_accepts_2000_qualtrics_ids():
    frame = make_frame(2000)
    frame["respondent_id"] = qualtrics_ids(2000)
    res = clean(frame, speeders="off")
    # Ids are kept as they are: nothing asked for a salt and nothing was hashed.
    assert set(res.data["respondent_id"]) <= set(frame["respondent_id"])
    assert not (res.audit["column"] == "respondent_id").any()
