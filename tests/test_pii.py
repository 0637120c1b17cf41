"""PII detectors: checksums, patterns, false positives, the Series scrubber."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.pii import (
    PII_KINDS,
    PII_TAGS,
    contains_pii,
    find_pii,
    is_valid_id_number,
    luhn_valid,
    normalize_text,
    salted_hash,
    scan_frame,
    scrub_text,
)


def kinds(text: str) -> list[str]:
    return [m.kind for m in find_pii(text)]


# ------------------------------------------------------------- ID numbers
@pytest.mark.parametrize("value", [
    "11010519491231002X", "440524188001010014", "11010519491231002x",
    "110105 19491231 002X", "１１０１０５１９４９１２３１００２Ｘ", "110105491231002",
])
def test_valid_id_numbers(value):
    assert is_valid_id_number(value)


@pytest.mark.parametrize("value", [
    "110105194912310021",   # wrong check digit
    "11010519491232002X",   # 32 December
    "91010519491231002X",   # region 9
    "1101051949123100",     # 16 digits
    "110105491331002",      # legacy, month 13
    "abcdefghijklmnopqr",
])
def test_invalid_id_numbers(value):
    assert not is_valid_id_number(value)


def test_legacy_ids_can_be_refused():
    assert not is_valid_id_number("110105491231002", legacy=False)


def test_id_number_found_only_with_valid_checksum():
    assert kinds("身份证号11010519491231002X。") == ["id_number"]
    assert kinds("身份证号 440524188001010014") == ["id_number"]
    assert kinds("编号110105194912310021") == []


# ------------------------------------------------------------------ mobile
@pytest.mark.parametrize("text", [
    "13812345678", "手机:13812345678", "+86 138 1234 5678", "0086-13812345678",
    "8613812345678", "138-1234-5678", "１３８１２３４５６７８", "tel：１３８ １２３４ ５６７８",
])
def test_mobile_numbers(text):
    assert kinds(text) == ["mobile"]


@pytest.mark.parametrize("text", [
    "1999元", "价格在1999到2999之间", "202301", "2023年01月", "12812345678",
    "1381234567", "138123456789", "2023-01-05 12:30:45", "占比 13.5%", "我买了3个",
    "订单号 202312011234", "邮编是多少不知道", "微信支付很方便", "我用wx付款",
])
def test_no_false_positives(text):
    assert find_pii(text) == []


# ------------------------------------------------------------ other kinds
@pytest.mark.parametrize(("text", "kind"), [
    ("邮箱 green.life+1@example.com.cn 谢谢", "email"),
    ("IP 192.168.1.20。", "ip"),
    ("2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ip"),
    ("v6 2001:db8::8a2e:370:7334 ok", "ip"),
    ("座机 010-62751234", "landline"),
    ("(0755)86001234", "landline"),
    ("联系 010-6275 1234", "landline"),
    ("电话 62751234", "landline"),
    ("加我微信: green_life88", "wechat"),
    ("vx：abc_def123", "wechat"),
    ("WeChat ID is Eco-User_1", "wechat"),
    ("QQ 123456789", "qq"),
    ("扣扣号：98765", "qq"),
    ("卡号 6222 0212 3456 7890 128", "bank_card"),
    ("4111111111111111", "bank_card"),
    ("邮编 100871", "postcode"),
])
def test_each_kind(text, kind):
    assert kinds(text) == [kind]


def test_bank_card_needs_luhn():
    assert luhn_valid("6222021234567890128")
    assert not luhn_valid("6222021234567890127")
    assert kinds("卡号 6222021234567890127") == []


def test_cue_is_kept_and_only_the_identifier_replaced():
    scrubbed, _ = scrub_text(pd.Series(["加我微信 green_life88 或QQ 123456789"]))
    assert scrubbed[0] == "加我微信 [wechat] 或QQ [qq]"


def test_spans_index_the_normalised_text():
    text = "号码：１３８１２３４５６７８，邮箱 a@b.cn"
    norm = normalize_text(text)
    found = find_pii(text)
    assert [norm[s:e] for _, (s, e) in found] == ["13812345678", "a@b.cn"]
    assert [m.kind for m in found] == ["mobile", "email"]


def test_email_wins_over_the_phone_number_inside_it():
    assert kinds("13812345678@163.com") == ["email"]


# ---------------------------------------------------------------- scrubber
def test_scrub_text_series_and_report():
    s = pd.Series(["电话 13812345678 或 13912345678", None, "没有", "身份证 11010519491231002X"],
                  index=[10, 11, 12, 13])
    out, report = scrub_text(s)
    assert out.tolist()[0] == "电话 [mobile] 或 [mobile]"
    assert pd.isna(out[11])
    assert out[12] == "没有"
    assert out[13] == "身份证 [id_number]"
    assert report.to_dict("records") == [
        {"row": 10, "kind": "mobile", "count": 2}, {"row": 13, "kind": "id_number", "count": 1}]
    assert "13812345678" not in report.to_csv()


def test_scrub_is_idempotent_and_agrees_with_find_pii():
    texts = ["邮箱 a@b.cn 手机 13812345678", "QQ 12345 and wx abcdef1", "[mobile] [qq]",
             "IP 10.0.0.1 身份证 440524188001010014 座机 021-62751234"]
    once, _ = scrub_text(pd.Series(texts))
    twice, report = scrub_text(once)
    assert once.tolist() == twice.tolist()
    assert report.empty
    for text, scrubbed in zip(texts, once):
        norm = normalize_text(text)
        rebuilt, last = [], 0
        for kind, (s, e) in find_pii(text):
            rebuilt += [norm[last:s], PII_TAGS[kind]]
            last = e
        assert "".join([*rebuilt, norm[last:]]) == scrubbed


def test_kinds_can_be_restricted_and_unknown_kinds_fail():
    assert kinds("13812345678 a@b.cn") == ["mobile", "email"]
    assert [m.kind for m in find_pii("13812345678 a@b.cn", kinds=["email"])] == ["email"]
    with pytest.raises(ValueError, match="unknown PII kind"):
        find_pii("x", kinds=["passport"])
    assert set(PII_TAGS) == set(PII_KINDS)


def test_scan_frame_reports_cells_and_column_names():
    frame = pd.DataFrame({"note": ["ok", "call 13812345678"], "n": [1, 2],
                          "a@b.cn": ["x", "y"]})
    found = scan_frame(frame)
    assert found.to_dict("records") == [
        {"column": None, "row": 2, "kind": "email", "count": 1},
        {"column": "note", "row": 1, "kind": "mobile", "count": 1}]
    assert scan_frame(frame[["n"]]).empty
    assert contains_pii("ID 11010519491231002X")


def test_salted_hash_is_stable_keyed_and_keeps_na():
    s = pd.Series(["a", None, "a", "b"])
    h = salted_hash(s, "k1")
    assert h[0] == h[2] != h[3]
    assert pd.isna(h[1])
    assert len(h[0]) == 16
    assert salted_hash(s, "k2")[0] != h[0]
    with pytest.raises(ValueError, match="salt"):
        salted_hash(s, "")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="0123456789 -元年月日,.:", max_size=40))
def test_tags_never_leave_digits_of_a_found_item(text):
    out, report = scrub_text(pd.Series([text]))
    # Every reported item turns into exactly one tag in the output.
    n_tags = sum(out[0].count(tag) for tag in PII_TAGS.values())
    assert n_tags == int(report["count"].sum())
    assert len(find_pii(text)) == n_tags
