"""clean(): the result object, accounting, privacy of outputs, personal columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_clean_helpers import make_codebook, make_frame

from analysis.cleaning.audit import AUDIT_COLUMNS, FUNNEL_COLUMNS
from analysis.cleaning.cleaner import CleanResult, clean
from analysis.errors import CodebookError, DataQualityWarning, SurveyError

PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"


def _messy_frame() -> pd.DataFrame:
    frame = make_frame(12)
    frame.loc[0, "duration_s"] = 40.0                       # speeder
    frame.loc[1, "att"] = "l2"                              # failed attention check
    frame.loc[2, ["g_a", "g_b", "g_c", "g_d"]] = "l5"       # straight-liner
    frame.loc[3, "ip_hash"] = "ip0004"                      # shared IP (flag)
    frame.loc[5, "age"] = 150.0                             # out of range
    frame.loc[6, "comment"] = f"电话 {PHONE}，身份证 {ID_NUMBER}"
    frame.loc[7, "comment"] = "微信号: green_life88 邮箱 eco@example.com"
    frame.loc[8, "respondent_id"] = "r004"                  # duplicate id (exclude)
    return frame


def test_result_shape_and_accounting():
    frame = _messy_frame()
    res = clean(frame)
    assert isinstance(res, CleanResult)
    assert res.n_in == 12
    assert res.n_kept + res.n_excluded == res.n_in
    assert list(res.audit.columns) == list(AUDIT_COLUMNS)
    assert list(res.funnel().columns) == list(FUNNEL_COLUMNS)
    assert sorted(res.excluded["rule"]) == sorted(
        ["speeder", "attention_check", "straightlining", "duplicate_id"])
    funnel = res.funnel()
    assert funnel["excluded"].sum() + res.n_kept == res.n_in
    assert funnel["remaining"].iloc[-1] == res.n_kept
    assert funnel["rule"].tolist()[1:3] == ["duplicate_id", "speeder"]
    assert isinstance(res.data.index, pd.RangeIndex)
    assert res.flags.index.equals(res.data.index)
    assert res.data.loc[res.flags["duplicate_ip"], "respondent_id"].tolist() == ["r003", "r004"]
    kept_ids = set(res.data["source_row"])
    assert kept_ids.isdisjoint(set(res.excluded["source_row"]))
    assert res.data.attrs["codebook_json"] == frame.attrs["codebook_json"]


def test_no_personal_data_reaches_any_output():
    res = clean(_messy_frame())
    outputs = [res.data.to_csv(), res.audit.to_csv(), res.excluded.to_csv(),
               res.funnel().to_csv(), res.funnel_text(), res.summary()]
    for text in outputs:
        for secret in (PHONE, ID_NUMBER, "green_life88", "eco@example.com"):
            assert secret not in text
    comment = res.data.set_index("source_row")["comment"]
    assert comment[7] == "电话 [mobile],身份证 [id_number]"
    assert comment[8] == "微信号: [wechat] 邮箱 [email]"
    assert comment[10] == "还不错 9"  # rows without findings are left byte-identical
    redact = res.audit[res.audit["rule"] == "pii_text"]
    assert set(redact["old_value"]) == {"[mobile number]", "[ID number]", "[WeChat ID]",
                                        "[email address]"}
    assert redact["action"].eq("redact").all()
    assert redact["question"].eq("comment").all()


def test_clean_does_not_mutate_its_input_and_is_deterministic():
    frame = _messy_frame()
    before = frame.copy(deep=True)
    attrs = dict(frame.attrs)
    a, b = clean(frame), clean(frame)
    pd.testing.assert_frame_equal(frame, before)
    assert frame.attrs == attrs
    for name in ("data", "audit", "excluded", "flags", "hits"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(a.funnel(), b.funnel())


def test_scrub_text_can_be_switched_off():
    res = clean(_messy_frame(), scrub_text=False)
    assert "pii_text" not in set(res.audit["rule"])
    assert PHONE in res.data.to_csv()


def test_funnel_text_and_summary():
    res = clean(_messy_frame())
    text = res.funnel_text()
    lines = text.splitlines()
    assert lines[0] == "Exclusion funnel (wave test-wave)"
    assert "duplicate respondent ids" in text
    assert "speeders" in text
    assert lines[-1].split()[-2:] == [str(res.n_kept), f"({100 * res.n_kept / 12:.1f}%)"]
    # Columns are aligned: every body line has the same width as the header rule.
    widths = {len(line) for line in lines[2:3] + lines[-2:-1]}
    assert len(widths) == 1
    summary = res.summary()
    assert summary.startswith(f"12 responses in, {res.n_kept} kept")
    assert "speeder 1" in summary
    assert "PII items redacted" in summary


def test_personal_columns_are_dropped_or_hashed_once_per_column():
    cb = make_codebook(personal=[{"column": "姓名", "action": "drop"},
                                 {"column": "手机", "action": "hash"}],
                       respondent={"ip": "来自IP"})
    frame = make_frame(codebook=cb).drop(columns=["ip_hash"])
    frame["姓名"] = "张三"
    frame["手机"] = PHONE
    frame["来自IP"] = [f"10.0.0.{k % 3}" for k in range(len(frame))]
    res = clean(frame, codebook=cb, salt="s3cret")
    assert "姓名" not in res.data
    assert "来自IP" not in res.data
    assert res.data["手机"].nunique() == 1
    assert PHONE not in res.data.to_csv()
    assert res.data["ip_hash"].nunique() == 3
    rows = res.audit[res.audit["rule"] == "personal_column"]
    assert rows[["column", "action"]].values.tolist() == [
        ["姓名", "drop_column"], ["手机", "hash_column"], ["来自IP", "hash_column"]]
    assert rows["respondent_id"].isna().all()
    # Shared hashed IPs feed the duplicate-IP rule.
    assert res.flags["duplicate_ip"].all()
    with pytest.warns(DataQualityWarning, match="no salt"):
        unsalted = clean(frame, codebook=cb)
    assert "手机" not in unsalted.data
    assert "ip_hash" not in unsalted.data


def test_unresolved_ip_source_is_a_codebook_error():
    # A per-platform IP source names no one column: dropping nothing would leak the IPs.
    cb = make_codebook(respondent={"ip": {"wjx": "来自IP", "qualtrics": "IPAddress"}})
    with pytest.raises(CodebookError, match="IP source is not resolved"):
        cb.personal_columns()
    with pytest.raises(CodebookError, match="IP source is not resolved"):
        clean(make_frame(codebook=cb), codebook=cb)


def test_respondent_ids_holding_phone_numbers_need_a_salt():
    frame = make_frame()
    frame.loc[2, "respondent_id"] = PHONE
    with pytest.raises(SurveyError, match="salt"):
        clean(frame)
    res = clean(frame, salt="pepper")
    assert PHONE not in res.audit.to_csv()
    assert PHONE not in res.data.to_csv()
    assert res.data["respondent_id"].nunique() == len(frame)


def test_codebook_comes_from_attrs_and_errors_are_typed():
    frame = make_frame()
    assert clean(frame).n_kept == 10
    bare = frame.copy()
    bare.attrs = {}
    with pytest.raises(SurveyError, match="carries no codebook"):
        clean(bare)
    with pytest.raises(TypeError, match="DataFrame"):
        clean(frame.to_dict())
    with pytest.raises(SurveyError, match="respondent_id"):
        clean(frame.drop(columns=["respondent_id"]))
    with pytest.raises(SurveyError, match="4 question ids"):
        clean(frame, psm=[("psm_cheap", "psm_expensive")])


def test_source_row_defaults_to_position_and_index_is_ignored():
    frame = make_frame().drop(columns=["source_row"])
    frame.index = np.arange(100, 110)
    frame.loc[103, "duration_s"] = 10.0
    res = clean(frame)
    assert res.excluded["source_row"].tolist() == [4]
    assert res.hits.index.equals(frame.index)
    assert bool(res.hits.loc[103, "speeder"])


def test_empty_frame():
    frame = make_frame(0)
    res = clean(frame)
    assert (res.n_in, res.n_kept, res.n_excluded) == (0, 0, 0)
    assert res.funnel()["remaining"].eq(0).all()
    assert "0 responses in" in res.summary()
    assert res.funnel_text().splitlines()[-1].split()[-2:] == ["0", "(-)"]
