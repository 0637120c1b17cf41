"""Every real 问卷星 export in ../shared/real-exports loads, in both download modes.

These files (reportgen, BSD) are the ground truth for the reader: row counts,
detected modes, multiple choice, ranking and matrix questions, and that the
text and code downloads give the same codes once the draft codebook pairs them.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import REAL_EXPORTS

from analysis.ingest import draft_codebook, load_wave, read_export, read_wave

WJX = REAL_EXPORTS / "wjx"
CASES = {
    "reportgen-2018-800": ("[问卷星数据]800_800_0.xls", "[问卷星数据]800_800_2.xls", 800),
    "reportgen-2016-zte": ("All_Data_Readable.xls", "All_Data_Original.xls", 4),
    "reportgen-2017-357": ("357_357_0.xls", "357_357_2.xls", 204),
}

pytestmark = pytest.mark.skipif(not WJX.is_dir(),
                                reason=f"real exports not found at {WJX} (set GREENSURVEY_SHARED)")


def _vals(series: pd.Series) -> list[object]:
    """Values with every kind of missing as None (NA does not compare with ==)."""
    return [None if pd.isna(v) else v for v in series.tolist()]


@pytest.fixture(autouse=True)
def _salt(monkeypatch):
    monkeypatch.setenv("GREENSURVEY_SALT", "real-salt")


@pytest.fixture(scope="module")
def paired():
    """Per survey: (paired codebook, text frame, code frame)."""
    out = {}
    for name, (text, code, _) in CASES.items():
        cb = draft_codebook(WJX / name / text)
        t, t_src = read_export(WJX / name / text, cb, salt="s")
        c, c_src = read_export(WJX / name / code, cb, salt="s")
        out[name] = (cb, t, c, t_src, c_src)
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_rows_and_modes(paired, name):
    cb, text, code, t_src, c_src = paired[name]
    n = CASES[name][2]
    assert len(text) == len(code) == n
    assert (t_src.mode, c_src.mode) == ("text", "code")
    assert t_src.platform == c_src.platform == "wjx"
    assert t_src.encoding == "utf-16-le"  # BIFF8 code page 1200
    assert text["source_row"].tolist() == list(range(1, n + 1))


@pytest.mark.parametrize("name", list(CASES))
def test_text_and_code_downloads_agree_after_pairing(paired, name):
    cb, text, code, _, _ = paired[name]
    # Code downloads carry no other-specify text; everything else must agree.
    cols = [c for c in text.columns if not c.endswith("_other_text")]
    pd.testing.assert_frame_equal(text[cols], code[cols])


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("which", [0, 1])
def test_each_file_loads_alone_with_its_own_draft(name, which):
    path = WJX / name / CASES[name][which]
    cb = draft_codebook(path, pair=False)
    data, src = read_export(path, cb)
    assert len(data) == CASES[name][2]
    assert src.mode == ("text", "code")[which]
    assert data["respondent_id"].notna().all()


def test_2018_multiple_choice_and_other_text(paired):
    cb, text, code, _, _ = paired["reportgen-2018-800"]
    q6 = cb.question("q6")
    assert q6.type == "multiple"
    assert len(q6.options) == 14
    sport = next(o for o in q6.options if o.label.zh == "运动")
    assert int(text[f"q6_{sport.key}"].sum()) == 479
    q8 = cb.question("q8")
    acg = next(o for o in q8.options if o.label.zh == "ACG文化(动漫、游戏等)")  # nested parens
    assert int(code[f"q8_{acg.key}"].sum()) == 131
    assert int(text["q8_10"].sum()) == 5  # other, please specify
    other = text["q8_other_text"].dropna().tolist()
    assert sorted(other) == sorted(["育儿", "无目的", "社会", "新闻", "电影，餐饮"])
    assert sorted(text["q2_other_text"].dropna()) == ["亲友赠送的", "我妈买的。"]
    assert code["q8_other_text"].isna().all()
    # Header "3、性别 " (trailing space) and numeric 序号; the meta cells are blank.
    assert text["q3"].value_counts().to_dict() == {"1": 427, "2": 373}
    assert text["respondent_id"].iloc[:3].tolist() == ["1", "2", "3"]
    assert text["submitted_at"].isna().all()
    assert text["duration_s"].isna().all()


def test_2016_ranking_matrix_skips_and_meta(paired):
    cb, text, code, _, _ = paired["reportgen-2016-zte"]
    q12 = cb.question("q12")
    assert q12.type == "ranking"
    snap = next(o for o in q12.options if o.label.zh == "骁龙820处理器")
    assert _vals(text[f"q12_{snap.key}"]) == [None, 1, None, None]
    touch = next(o for o in q12.options if o.label.zh == "触控流畅,反应快")
    assert _vals(code[f"q12_{touch.key}"]) == [None, 3, None, 1]
    assert _vals(text["q12__missing"]) == ["skipped", None, "skipped", None]
    q13 = cb.question("q13")
    assert q13.type == "grid"
    assert len(q13.items) == 17
    assert q13.items[0].label.zh == "外观"
    assert q13.items[-1].label.zh == "GPS定位速度"
    assert _vals(text["q13_r1"]) == [None, "4", None, "4"]
    assert q13.labels()["4"] == "4分"
    assert _vals(text["q13_r4"]) == [None, "3", None, "5"]
    # 0-10 scale: "3分" is code 4.
    assert cb.question("q15").labels()[text["q15"].iloc[1]] == "3分"
    assert text["q15"].iloc[1] == "4"
    # (跳过) in text = -3 in code = skipped.
    assert _vals(text["q2__missing"]) == _vals(code["q2__missing"]) == [
        "skipped", None, None, None]
    assert _vals(text["q7"]) == [None, "中兴天机7", None, "lll"]
    assert text["duration_s"].tolist() == [5.0, 136.0, 8.0, 60.0]
    assert text["submitted_at"].iloc[0] == pd.Timestamp("2016-12-17 14:22:55")
    assert text["ip_hash"].nunique() == 1
    assert text["ip_hash"].notna().all()
    assert text["q4_other_text"].tolist()[1] == "你好好"
    assert text["x1"].tolist()[1] == "山西-晋城"


def test_2017_null_meta_and_ids(paired):
    cb, text, code, _, _ = paired["reportgen-2017-357"]
    assert text["respondent_id"].iloc[0] == "2"
    assert text["submitted_at"].isna().all()
    assert text["ip_hash"].isna().all()
    assert text["q1"].value_counts().to_dict() == {"1": 175, "2": 29}
    assert cb.question("q3").labels()["6"] == "其它"


@pytest.mark.parametrize("name", list(CASES))
def test_load_wave_on_an_export_folder(name):
    w = read_wave(WJX / name)
    assert w.source.mode == "text"
    assert len(w.data) == CASES[name][2]
    assert load_wave(WJX / name / CASES[name][1]).shape[0] == CASES[name][2]
