"""问卷星 reader: both download modes, header variants, metadata, strictness, speed."""

from __future__ import annotations

import hashlib
import json
import time

import numpy as np
import pandas as pd
import pytest

from analysis import pii
from analysis.codebook import load_codebook
from analysis.errors import ColumnMismatchError, DuplicateIdError, UnknownLabelError
from analysis.ingest import load_wave, read_export, read_wave

SURVEY = """\
wave: t2022
title: {zh: 测试, en: Test}
respondent: {id: 序号, duration: 所用时间, submitted: 提交答卷时间, ip: 来自IP}
personal: [{column: 来源详情}]
questions:
  - id: gender
    type: single
    label: {zh: 性别, en: Gender}
    source: 1
    options:
      - {code: 1, name: male, label: {zh: 男, en: Male}}
      - {code: 2, name: female, label: {zh: 女, en: Female}}
  - id: barriers
    type: multiple
    label: 障碍
    source: 2
    options:
      - {code: 1, name: price, label: 价格太高}
      - {code: 2, name: info, label: 信息不足(不知道哪里买)}
      - {code: 3, name: other, label: 其他【请注明】, other: true}
  - id: attitude
    type: grid
    label: 态度
    source: 3
    items: [{id: look, label: 外观}, {id: cost, label: 价格}]
    options: [{code: 1, label: 1分}, {code: 2, label: 2分}, {code: 3, label: 3分},
              {code: 4, label: 4分}, {code: 5, label: 5分}]
  - id: rank
    type: ranking
    label: 排序
    source: 4
    options: [{code: 1, name: a, label: A}, {code: 2, name: b, label: B},
              {code: 3, name: c, label: C}]
  - id: age
    type: numeric
    label: 年龄
    source: 5
    range: [16, 99]
  - id: comment
    type: text
    label: 意见
    source: 6
derived:
  - id: sex2
    source: gender
    map: {male: m, female: f}
    labels: {m: 男性, f: 女性}
"""

META = ["序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP"]
META_ROWS = [
    [1, "2022/11/01 10:00:00", "235秒", "手机提交", "微信", "183.192.16.69(上海-上海)"],
    [2, "2022/11/01 10:05:00", "1分30秒", "手机提交", "微信", "10.1.2.3(北京-北京)"],
    [3, "2022/11/01 10:06:00", "60秒", "链接", "直接访问", "183.192.16.69(上海-上海)"],
    [4, "2022/11/02 09:00:00", "300秒", "手机提交", "微信", "8.8.8.8(广东-深圳)"],
    [5, "2022/11/02 09:30:00", "45秒", "手机提交", "微信", "1.1.1.1(浙江-杭州)"],
]
TEXT_HEADERS = ["1、性别 (单选题 *必答)", "2、障碍 (多选题 *必答)", "3、态度 (矩阵单选题 *必答)—外观",
                "价格", "4、排序", "5、年龄 (填空题)", "6、意见 "]
TEXT_ROWS = [
    ["男", "价格太高┋其他【请注明】〖不方便〗", "4分", "5分", "B→A", "25", "很好"],
    ["女", "信息不足(不知道哪里买)", "3分", "3分", "(跳过)", "30", "一般"],
    ["男", "(跳过)", "(跳过)", "(跳过)", "(跳过)", "(跳过)", "(跳过)"],
    ["女", "价格太高┋信息不足(不知道哪里买)", "1分", "2分", "A→B→C", "41", "无"],
    ["男", "其他【请注明】〖太贵，又难买〗", "5分", "5分", "C", "28", ""],
]
CODE_HEADERS = ["1、性别", "第2题(价格太高)", "第2题(信息不足(不知道哪里买))", "第2题(其他【请注明】)",
                "3、态度—外观", "价格", "第4题(A)", "第4题(B)", "第4题(C)", "5、年龄", "6、意见"]
CODE_ROWS = [
    [1, 1, 0, 1, 4, 5, 2, 1, -2, 25, "很好"],
    [2, 0, 1, 0, 3, 3, -2, -2, -2, 30, "一般"],
    [1, -3, -3, -3, -3, -3, -2, -2, -2, -3, -3],
    [2, 1, 1, 0, 1, 2, 1, 2, 3, 41, "无"],
    [1, 0, 0, 1, 5, 5, -2, -2, 1, 28, ""],
]


def _frame(headers: list[str], rows: list[list[object]]) -> pd.DataFrame:
    data = [m + r for m, r in zip(META_ROWS, rows, strict=True)]
    return pd.DataFrame(data, columns=META + headers)


def _wave(tmp_path, frame: pd.DataFrame, name: str = "export.csv", encoding: str = "gb18030",
          survey: str = SURVEY):
    folder = tmp_path / "wave"
    (folder / "raw").mkdir(parents=True)
    (folder / "survey.yaml").write_text(survey, encoding="utf-8")
    path = folder / "raw" / name
    if name.endswith(".xlsx"):
        frame.to_excel(path, index=False, engine="openpyxl")
    else:
        frame.to_csv(path, index=False, encoding=encoding)
    return folder, path


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "test-salt")


@pytest.fixture
def text_wave(tmp_path):
    return _wave(tmp_path, _frame(TEXT_HEADERS, TEXT_ROWS))


def test_text_mode_gb18030_csv(text_wave):
    folder, path = text_wave
    w = read_wave(folder)
    d = w.data
    assert w.source.encoding == "gb18030"
    assert (w.source.platform, w.source.mode) == ("wjx", "text")
    assert w.source.n_rows == 5
    assert len(d) == 5
    assert isinstance(d.index, pd.RangeIndex)
    assert d["respondent_id"].tolist() == ["1", "2", "3", "4", "5"]
    assert d["source_row"].tolist() == [1, 2, 3, 4, 5]
    assert d["duration_s"].tolist() == [235.0, 90.0, 60.0, 300.0, 45.0]
    assert d["submitted_at"].iloc[0] == pd.Timestamp("2022-11-01 10:00:00")
    assert d["gender"].tolist() == ["male", "female", "male", "female", "male"]
    assert list(d["gender"].cat.categories) == ["male", "female"]
    assert d["barriers_price"].tolist() == [True, False, pd.NA, True, False]
    assert d["barriers_other"].tolist() == [True, False, pd.NA, False, True]
    assert d["barriers_other_text"].tolist() == ["不方便", pd.NA, pd.NA, pd.NA, "太贵，又难买"]
    assert d["barriers__missing"].tolist() == [pd.NA, pd.NA, "skipped", pd.NA, pd.NA]
    assert d["attitude_look"].tolist()[:2] == ["4", "3"]
    assert d["attitude_look"].cat.ordered
    assert d["rank_a"].tolist() == [2, pd.NA, pd.NA, 1, pd.NA]
    assert d["rank_b"].tolist() == [1, pd.NA, pd.NA, 2, pd.NA]
    assert d["rank_c"].tolist() == [pd.NA, pd.NA, pd.NA, 3, 1]
    assert d["rank__missing"].tolist() == [pd.NA, "skipped", "skipped", pd.NA, pd.NA]
    assert d["age"].tolist()[:2] == [25.0, 30.0]
    assert np.isnan(d["age"].iloc[2])
    assert d["comment"].tolist() == ["很好", "一般", pd.NA, "无", pd.NA]
    assert d["comment__missing"].tolist() == [pd.NA, pd.NA, "skipped", pd.NA, "blank"]
    assert d["sex2"].tolist() == ["m", "f", "m", "f", "m"]
    assert "gender__missing" not in d.columns  # only questions with missing values
    # Personal data never enters the frame; the IP is only a salted hash.
    assert "来源详情" not in d.columns
    assert "来自IP" not in d.columns
    ip = pd.Series(["183.192.16.69", "10.1.2.3", "183.192.16.69", "8.8.8.8", "1.1.1.1"])
    assert d["ip_hash"].tolist() == pii.salted_hash(ip, "test-salt").tolist()
    assert d["ip_hash"].iloc[0] == d["ip_hash"].iloc[2]
    assert not d.astype(str).apply(lambda c: c.str.contains("183.192")).any().any()


def test_attrs_are_strings_and_describe_the_source(text_wave):
    folder, path = text_wave
    d = load_wave(folder)
    assert set(d.attrs) == {"wave", "codebook_json", "source_json"}
    assert all(isinstance(v, str) for v in d.attrs.values())
    src = json.loads(d.attrs["source_json"])
    assert src["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert src["rows"] == src["n_rows"] == 5
    assert (src["platform"], src["mode"], src["encoding"]) == ("wjx", "text", "gb18030")
    assert src["column_map"]["来自IP"] == "ip_hash"
    assert src["column_map"]["来源详情"] is None
    assert src["column_map"]["价格"] == "attitude_cost"
    assert json.loads(d.attrs["codebook_json"])["wave"] == "t2022"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_code_mode_agrees_with_text_mode(tmp_path, encoding):
    _, text_path = _wave(tmp_path / "t", _frame(TEXT_HEADERS, TEXT_ROWS))
    folder, code_path = _wave(tmp_path / "c", _frame(CODE_HEADERS, CODE_ROWS), encoding=encoding)
    w = read_wave(folder)
    assert w.source.mode == "code"
    assert w.source.encoding == encoding
    text = load_wave(text_path)
    code = w.data
    data_cols = [c for c in text.columns if not c.endswith(("_other_text", "ip_hash"))]
    pd.testing.assert_frame_equal(code[data_cols], text[data_cols])
    # Code mode has no other-text column in these real-style exports.
    assert code["barriers_other_text"].isna().all()


def test_xlsx_text_mode(tmp_path):
    folder, path = _wave(tmp_path, _frame(TEXT_HEADERS, TEXT_ROWS), name="export.xlsx")
    w = read_wave(folder)
    assert (w.source.mode, w.source.encoding) == ("text", "utf-8")
    assert w.data["barriers_info"].tolist() == [False, True, pd.NA, True, False]
    assert w.data["respondent_id"].tolist() == ["1", "2", "3", "4", "5"]


@pytest.mark.parametrize("multi_headers", [
    ["第2题(价格太高)", "第2题(信息不足(不知道哪里买))", "第2题(其他【请注明】)"],
    ["2、(价格太高)", "2、(信息不足(不知道哪里买))", "2、(其他【请注明】)"],
    ["2. 障碍(价格太高)", "2(信息不足(不知道哪里买))", "2(其他【请注明】)"],
])
@pytest.mark.parametrize("grid_headers", [
    ["3、态度—外观", "价格"], ["第3题(外观)", "第3题(价格)"], ["3、态度—外观", "3、价格"],
])
def test_code_mode_header_variants(tmp_path, multi_headers, grid_headers):
    headers = ["1. 性别 ", *multi_headers, *grid_headers, "第4题(A)", "第4题(B)", "第4题(C)",
               "5:年龄", "6．意见"]
    folder, _ = _wave(tmp_path, _frame(headers, CODE_ROWS), encoding="utf-8")
    w = read_wave(folder)
    d = w.data
    assert w.source.mode == "code"
    assert d["barriers_info"].tolist() == [False, True, pd.NA, True, False]
    assert d["attitude_cost"].tolist()[:2] == ["5", "3"]
    assert w.source.column_map[multi_headers[1]] == "barriers_info"


def test_other_text_column_in_current_code_downloads(tmp_path):
    rows = [r[:4] + [txt] + r[4:] for r, txt in
            zip(CODE_ROWS, ["不方便", "", -3, "", "太贵"], strict=True)]
    headers = CODE_HEADERS[:4] + ["2、(其他【请注明】:)"] + CODE_HEADERS[4:]
    folder, _ = _wave(tmp_path, _frame(headers, rows), encoding="utf-8")
    d = load_wave(folder)
    assert d["barriers_other_text"].tolist() == ["不方便", pd.NA, pd.NA, pd.NA, "太贵"]
    assert d["barriers_other"].tolist() == [True, False, pd.NA, False, True]


def test_unknown_label_names_question_label_and_rows(tmp_path):
    rows = [r.copy() for r in TEXT_ROWS]
    rows[3][1] = "价格太高┋没地方买"
    folder, _ = _wave(tmp_path, _frame(TEXT_HEADERS, rows))
    with pytest.raises(UnknownLabelError, match="没地方买") as info:
        load_wave(folder)
    err = info.value
    assert err.question == "barriers"
    assert err.row == "4"
    assert err.column == "2、障碍 (多选题 *必答)"
    assert "aliases" in err.hint


def test_aliases_and_fullwidth_labels_match(tmp_path):
    survey = SURVEY.replace("{code: 2, name: female, label: {zh: 女, en: Female}}",
                            "{code: 2, name: female, label: {zh: 女, en: Female}, aliases: [女性]}")
    rows = [r.copy() for r in TEXT_ROWS]
    rows[1][0] = "女性"
    rows[1][1] = "信息不足（不知道哪里买）"  # full-width parentheses
    folder, _ = _wave(tmp_path, _frame(TEXT_HEADERS, rows), survey=survey)
    d = load_wave(folder)
    assert d["gender"].iloc[1] == "female"
    assert bool(d["barriers_info"].iloc[1])


def test_unknown_code_becomes_invalid_status(tmp_path):
    rows = [r.copy() for r in CODE_ROWS]
    rows[0][0] = 7
    rows[1][4] = 9
    folder, _ = _wave(tmp_path, _frame(CODE_HEADERS, rows), encoding="utf-8")
    d = load_wave(folder)
    assert pd.isna(d["gender"].iloc[0])
    assert d["gender__missing"].iloc[0] == "invalid:7"
    assert pd.isna(d["attitude_look"].iloc[1])
    assert d["attitude__missing"].iloc[1] == "invalid:9"


def test_missing_question_is_reported_with_closest_headers(tmp_path):
    frame = _frame(TEXT_HEADERS, TEXT_ROWS).drop(columns=["5、年龄 (填空题)"])
    folder, _ = _wave(tmp_path, frame)
    with pytest.raises(ColumnMismatchError, match=r"age \(source 5") as info:
        load_wave(folder)
    assert info.value.question == "age"


def test_unknown_column_is_reported_and_ignore_accepts_it(tmp_path):
    frame = _frame(TEXT_HEADERS, TEXT_ROWS)
    frame["7、您的建议"] = "x"
    folder, _ = _wave(tmp_path, frame)
    with pytest.raises(ColumnMismatchError, match="7、您的建议") as info:
        load_wave(folder)
    assert info.value.column == "7、您的建议"
    (folder / "survey.yaml").write_text(SURVEY + "ignore: [7、您的建议]\n", encoding="utf-8")
    assert "7、您的建议" not in load_wave(folder).columns


def test_duplicate_ids_raise_unless_screening_keeps_them(tmp_path):
    frame = _frame(TEXT_HEADERS, TEXT_ROWS)
    frame.loc[3, "序号"] = 2
    folder, _ = _wave(tmp_path, frame)
    with pytest.raises(DuplicateIdError, match="screening.duplicates.ids: exclude") as info:
        load_wave(folder)
    assert info.value.details["ids"] == ["2"]
    assert info.value.details["source_rows"] == [2, 4]
    (folder / "survey.yaml").write_text(
        SURVEY + "screening: {duplicates: {ids: exclude}}\n", encoding="utf-8")
    assert load_wave(folder)["respondent_id"].tolist() == ["1", "2", "3", "2", "5"]


def test_null_meta_cells_are_missing(tmp_path):
    frame = _frame(TEXT_HEADERS, TEXT_ROWS)
    frame[["提交答卷时间", "所用时间", "来自IP"]] = "NULL"
    folder, _ = _wave(tmp_path, frame)
    d = load_wave(folder)
    assert d["submitted_at"].isna().all()
    assert d["duration_s"].isna().all()
    assert d["ip_hash"].isna().all()


def test_salt_is_persisted_in_interim_and_raw_is_untouched(tmp_path, monkeypatch):
    monkeypatch.delenv("GREENSURVEY_SALT")
    folder, path = _wave(tmp_path, _frame(TEXT_HEADERS, TEXT_ROWS))
    before = path.read_bytes()
    first = load_wave(folder)["ip_hash"]
    salt_file = folder / "interim" / ".salt"
    assert salt_file.is_file()
    assert len(salt_file.read_text().strip()) >= 32
    assert sorted(p.name for p in (folder / "raw").iterdir()) == ["export.csv"]
    assert path.read_bytes() == before
    assert load_wave(folder)["ip_hash"].tolist() == first.tolist()  # stable across runs


def test_errors_write_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("GREENSURVEY_SALT")
    frame = _frame(TEXT_HEADERS, TEXT_ROWS)
    frame["7、多余"] = "x"
    folder, _ = _wave(tmp_path, frame)
    with pytest.raises(ColumnMismatchError):
        load_wave(folder)
    assert not (folder / "interim").exists()


def test_explicit_mode_and_codebook_argument(tmp_path):
    _, path = _wave(tmp_path, _frame(CODE_HEADERS, CODE_ROWS), encoding="utf-8")
    cb = load_codebook(tmp_path / "wave" / "survey.yaml")
    d, src = read_export(path, cb, mode="code", platform="wjx")
    assert (src.mode, src.platform) == ("code", "wjx")
    assert d["gender"].tolist()[:2] == ["male", "female"]


def test_hundred_thousand_rows_load_in_seconds(tmp_path):
    rng = np.random.default_rng(7)
    n = 100_000
    combos = np.array(["价格太高", "信息不足(不知道哪里买)", "价格太高┋信息不足(不知道哪里买)",
                       "其他【请注明】〖贵〗", "价格太高┋其他【请注明】〖远〗"])
    scores = np.array(["1分", "2分", "3分", "4分", "5分"])
    frame = pd.DataFrame({
        "序号": np.arange(1, n + 1),
        "提交答卷时间": "2022/11/01 10:00:00",
        "所用时间": pd.Series(rng.integers(30, 900, n)).astype(str) + "秒",
        "来源": "手机提交", "来源详情": "微信",
        "来自IP": "10.0.0." + pd.Series(rng.integers(0, 255, n)).astype(str) + "(上海-上海)",
        TEXT_HEADERS[0]: rng.choice(np.array(["男", "女"]), n),
        TEXT_HEADERS[1]: rng.choice(combos, n),
        TEXT_HEADERS[2]: rng.choice(scores, n), TEXT_HEADERS[3]: rng.choice(scores, n),
        TEXT_HEADERS[4]: rng.choice(np.array(["A→B", "C", "B→C→A", "(跳过)"]), n),
        TEXT_HEADERS[5]: rng.integers(16, 80, n).astype(str),
        TEXT_HEADERS[6]: rng.choice(np.array(["好", "", "一般"]), n),
    })
    folder, _ = _wave(tmp_path, frame)
    start = time.perf_counter()
    d = load_wave(folder)
    elapsed = time.perf_counter() - start
    assert len(d) == n
    assert d["barriers_other_text"].notna().sum() == (frame[TEXT_HEADERS[1]].str.contains("〖")).sum()
    assert elapsed < 12, f"10^5 rows took {elapsed:.1f} s"


def test_string_source_names_one_sub_column(tmp_path):
    frame = _frame(TEXT_HEADERS, TEXT_ROWS)
    frame["第7题(城市)"] = ["上海", "北京", "(跳过)", "深圳", ""]
    frame["第7题(区县)"] = ["浦东", "海淀", "(跳过)", "南山", ""]
    survey = SURVEY.replace("derived:", """\
  - {id: city, type: text, label: 城市, source: 第7题(城市)}
  - {id: district, type: text, label: 区县, source: 第7题(区县)}
derived:""")
    folder, _ = _wave(tmp_path, frame, survey=survey)
    d = load_wave(folder)
    assert d["city"].tolist()[:2] == ["上海", "北京"]
    assert d["district__missing"].tolist()[2:] == ["skipped", pd.NA, "blank"]


def test_current_xlsx_download_with_datetime_cells_and_total_score(tmp_path):
    frame = _frame(CODE_HEADERS, CODE_ROWS)
    frame["提交答卷时间"] = pd.to_datetime(frame["提交答卷时间"], format="%Y/%m/%d %H:%M:%S")
    frame.insert(6, "总分", 0)
    frame = frame[["总分", *[c for c in frame.columns if c != "总分"]]]  # meta in any order
    folder, _ = _wave(tmp_path, frame, name="1_按序号_测试_5_5.xlsx")
    w = read_wave(folder)
    assert w.source.mode == "code"
    assert w.source.column_map["总分"] is None
    assert w.data["submitted_at"].iloc[1] == pd.Timestamp("2022-11-01 10:05:00")
    assert w.data["duration_s"].iloc[1] == 90.0
    assert w.data["barriers_price"].tolist() == [True, False, pd.NA, True, False]


def test_missing_matrix_row_names_the_expected_header(tmp_path):
    headers = [h if h != "价格" else "质量" for h in TEXT_HEADERS]
    folder, _ = _wave(tmp_path, _frame(headers, TEXT_ROWS))
    with pytest.raises(ColumnMismatchError, match=r"rows \['cost'\] of question attitude") as info:
        load_wave(folder)
    assert "'3、态度—价格'" in str(info.value)
    assert info.value.details["expected"] == ["3、态度—价格"]
