"""Findings collector, disclosure control, JSON/CSV/XLSX writers and the PII scan."""

from __future__ import annotations

import csv
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from scipy import stats

from analysis.codebook import Disclosure
from analysis.errors import DisclosureWarning, ReportError
from analysis.report.export import (
    CSV_FILE_FIELDS,
    FIELD_DOCS,
    SCHEMA_VERSION,
    export_findings,
    merge_findings,
    scan_outputs,
)
from analysis.report.findings import CELL_FIELDS, Findings, round_value


class FakeResult:
    """Quacks like analysis.design.results.SurveyResult (the result protocol's summary_frame)."""

    def __init__(self, est, se, n, index):
        self.estimate = pd.Series(est, index=index)
        self._se = pd.Series(se, index=index)
        self.n_unweighted = pd.Series(n, index=index)

    def summary_frame(self, level: float = 0.95) -> pd.DataFrame:
        q = stats.norm.ppf(0.5 + level / 2)
        return pd.DataFrame({"estimate": self.estimate, "se": self._se,
                             "ci_low": self.estimate - q * self._se,
                             "ci_high": self.estimate + q * self._se,
                             "n_unweighted": self.n_unweighted})


LABELS = {"tv": {"zh": "电视", "en": "TV"}, "web": {"zh": "网络", "en": "Web"},
          "shop": {"zh": "商场", "en": "Shops"}}


def _collect(out: Path, chapter: str = "03-headline-shares", language: str = "zh",
             disclosure: Disclosure | None = None, scale: float = 1.0) -> Findings:
    f = Findings(out, chapter, language, disclosure, autosave=True)
    idx = ["tv", "web", "shop"]
    weighted = FakeResult(np.array([0.4123456789123, 0.25, 0.6]) * scale, [0.02, 0.03, 0.04],
                          [120, 45, 12], idx)
    unweighted = FakeResult([0.45, 0.2, 0.55], [0.02, 0.03, 0.05], [120, 45, 12], idx)
    f.add("shares.channels", {"weighted": weighted, "unweighted": unweighted},
          title={"zh": "信息渠道", "en": "Information channels"}, row_labels=LABELS,
          n_weighted=pd.Series({"tv": 131.5, "web": 40.25, "shop": 9.0}), headline=True)
    f.add("wtp.mean", pd.DataFrame({"estimate": [12.5], "se": [1.1], "ci_low": [10.3],
                                    "ci_high": [14.7], "n_unweighted": [800]}, index=["mean"]),
          title="平均溢价", unit="percent")
    return f


def test_disclosure_suppresses_and_flags_by_unweighted_base(tmp_path):
    f = _collect(tmp_path)
    tab = f["shares.channels"]
    assert tab.cell("tv", "weighted").flag == ""
    assert tab.cell("web", "weighted").flag == "low_base"
    shop = tab.cell("shop", "weighted")
    assert shop.flag == "suppressed"
    assert (shop.estimate, shop.ci_low, shop.ci_high, shop.se) == (None, None, None, None)
    assert shop.n_unweighted == 12  # the base itself is published
    assert tab.cell("tv", "weighted").n_weighted == 131.5


def test_disclosure_thresholds_are_configurable_per_wave(tmp_path):
    f = _collect(tmp_path, disclosure=Disclosure(suppress_below=10, flag_below=150))
    tab = f["shares.channels"]
    assert [tab.cell(r, "weighted").flag for r in ("tv", "web", "shop")] == ["low_base"] * 3
    with pytest.raises(ReportError, match="flag_below"):
        Findings(tmp_path, "x", disclosure=Disclosure(suppress_below=50, flag_below=30))


def test_disclosure_warning_is_optional(tmp_path):
    f = Findings(tmp_path, "c", warn=True)
    frame = pd.DataFrame({"estimate": [0.5], "n_unweighted": [3]}, index=["a"])
    with pytest.warns(DisclosureWarning, match="1 cell"):
        f.add("t.a", frame, title="x")
    quiet = Findings(tmp_path, "d")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.add("t.a", frame, title="x")


def test_bad_table_ids_and_units_are_rejected(tmp_path):
    f = Findings(tmp_path, "c")
    frame = pd.DataFrame({"estimate": [0.5]}, index=["a"])
    with pytest.raises(ReportError, match="lower case"):
        f.add("Shares Channels", frame, title="x")
    with pytest.raises(ReportError, match="unit"):
        f.add("t.a", frame, title="x", unit="pct")
    f.add("t.a", frame, title="x")
    with pytest.raises(ReportError, match="twice"):
        f.add("t.a", frame, title="x")
    with pytest.raises(ReportError, match="contains '/'"):
        f.add("t.b", pd.DataFrame({"estimate": [0.5]}, index=["a/b"]), title="x")
    with pytest.raises(ReportError, match="'estimate'"):
        f.add("t.c", pd.DataFrame({"value": [0.5]}), title="x")


def test_round_value_is_ten_significant_digits():
    assert round_value(0.41234567891234) == 0.4123456789
    assert round_value(-0.0) == 0.0
    assert round_value(float("nan")) is None
    assert round_value(None) is None
    assert round_value(123456789012.7) == 123456789000.0


def test_json_schema_and_values(tmp_path):
    _collect(tmp_path)
    fs = merge_findings(tmp_path, wave="demo-2022", title={"zh": "演示", "en": "Demo"},
                        synthetic=True, disclosure=Disclosure())
    paths = export_findings(fs, tmp_path)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert list(doc) == ["schema", "schema_version", "wave", "title", "synthetic", "language",
                         "disclosure", "fields", "tables", "figures"]
    assert doc["schema_version"] == SCHEMA_VERSION
    assert doc["synthetic"] is True
    assert doc["disclosure"] == {"suppress_below": 30, "flag_below": 50}
    assert list(doc["fields"]) == list(CELL_FIELDS) == list(FIELD_DOCS)
    tab = doc["tables"][0]
    assert tab["id"] == "shares.channels"
    assert tab["headline"] is True
    assert [r["key"] for r in tab["rows"]] == ["tv", "web", "shop"]
    assert [c["key"] for c in tab["columns"]] == ["weighted", "unweighted"]
    first = tab["cells"][0]
    assert list(first) == list(CELL_FIELDS)
    assert first["estimate"] == 0.4123456789
    assert first["n_unweighted"] == 120
    assert isinstance(first["n_unweighted"], int)
    assert first["row_label"] == "电视"
    assert first["column_label"] == "加权"
    assert "\\u" not in paths["json"].read_text(encoding="utf-8")  # readable UTF-8


def test_csv_long_format_matches_json(tmp_path):
    _collect(tmp_path)
    fs = merge_findings(tmp_path, wave="w")
    paths = export_findings(fs, tmp_path)
    raw = paths["csv"].read_bytes()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert list(rows[0]) == [*CELL_FIELDS, *CSV_FILE_FIELDS]
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    cells = [c for t in doc["tables"] for c in t["cells"]]
    assert len(rows) == len(cells) == 7
    for row, cell in zip(rows, cells):
        for key in ("estimate", "ci_low", "se", "n_unweighted"):
            assert (float(row[key]) if row[key] else None) == cell[key]
        assert row["flag"] == cell["flag"]
    shop = next(r for r in rows if r["row"] == "shop" and r["column"] == "weighted")
    assert shop["estimate"] == ""
    assert shop["flag"] == "suppressed"


def test_csv_carries_wave_title_and_synthetic_flag_like_json(tmp_path):
    _collect(tmp_path)
    fs = merge_findings(tmp_path, wave="demo-2022", title={"zh": "演示调查", "en": "Demo survey"},
                        synthetic=True, language="en")
    paths = export_findings(fs, tmp_path)
    rows = list(csv.DictReader(io.StringIO(paths["csv"].read_text(encoding="utf-8-sig"))))
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert {(r["wave"], r["wave_title"], r["synthetic"]) for r in rows} == {
        (doc["wave"], doc["title"]["en"], "true")}
    real = merge_findings(tmp_path, wave="w", title="调查", synthetic=False)
    path = export_findings(real, tmp_path / "real")["csv"]
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {(r["wave"], r["wave_title"], r["synthetic"]) for r in rows} == {("w", "调查", "false")}


def _subgroups(out: Path) -> Findings:
    """Two tables by sex (same banner), one by tier (another banner), one without letters."""
    f = _collect(out)
    sex = {"male": {"zh": "男", "en": "Male"}, "female": {"zh": "女", "en": "Female"}}
    for table_id, est, n, sig in (
            ("banner.channels", {"male": [0.52, 0.31], "female": [0.40, 0.33]},
             {"male": [300, 300], "female": [280, 40]}, {"male": ["B", ""], "female": ["", ""]}),
            ("banner.purchase", {"male": [0.2], "female": [0.35]},
             {"male": [290], "female": [20]}, {"male": [""], "female": [""]})):
        rows = ["tv", "web"][:len(est["male"])]
        data = {g: pd.DataFrame({"estimate": est[g], "ci_low": np.array(est[g]) - 0.05,
                                 "ci_high": np.array(est[g]) + 0.05, "se": 0.025,
                                 "n_unweighted": n[g]}, index=rows) for g in sex}
        f.add(table_id, data, title={"zh": f"{table_id} 标题", "en": table_id},
              row_labels=LABELS, column_labels=sex, column_letters={"male": "A", "female": "B"},
              sig={g: pd.Series(sig[g], index=rows) for g in sex})
    tiers = {t: pd.DataFrame({"estimate": [v], "n_unweighted": [100]}, index=["tv"])
             for t, v in (("tier1", 0.6), ("tier2", 0.5), ("tier3", 0.3))}
    f.add("banner.tier", tiers, title="按城市级别", row_labels=LABELS,
          column_letters={"tier1": "A", "tier2": "B", "tier3": "C"},
          sig={"tier1": {"tv": "BC"}, "tier2": {"tv": "C"}, "tier3": {"tv": ""}})
    return f


def test_xlsx_banner_sheets_questions_down_subgroups_across(tmp_path):
    _subgroups(tmp_path)
    fs = merge_findings(tmp_path, wave="w", synthetic=True, language="zh")
    path = export_findings(fs, tmp_path)["xlsx"]
    wb = load_workbook(path)
    banner_names = [n for n in wb.sheetnames if n.startswith("B0")]
    assert banner_names == ["B01 男·女", "B02 tier1·tier2·tier3"]
    # Banners come before the long per-table sheets, which are all still there.
    assert wb.sheetnames[:4] == ["Contents", "Notes", *banner_names]
    assert [n for n in wb.sheetnames if n.startswith("T")] == [
        "T01 shares.channels", "T02 wtp.mean", "T03 banner.channels", "T04 banner.purchase",
        "T05 banner.tier"]
    rows = list(wb["B01 男·女"].iter_rows(values_only=True))
    assert any("合成数据" in str(r[0]) for r in rows)
    head = next(i for i, r in enumerate(rows) if r[2] == "男 (A)")
    # each subgroup spans estimate / CI / base / letters
    assert rows[head][2:10] == ("男 (A)", None, None, None, "女 (B)", None, None, None)
    assert rows[head + 1][2:6] == ("估计值", "95% 置信区间", "未加权样本量", "显著高于")
    body = rows[head + 2:]
    # questions down: a title line per table, then its rows, in findings order
    assert [r[1] for r in body] == ["banner.channels", "电视", "网络", "banner.purchase", "电视"]
    assert body[0][0] == "banner.channels 标题"
    tv = body[1]
    assert tv[0] == "banner.channels"
    assert tv[2:10] == (0.52, "47.0–57.0%", 300, "B", 0.4, "35.0–45.0%", 280, "")
    web_female = body[2][6:10]
    assert web_female == (0.33, "28.0–38.0%", 40, "")  # low base: shown (italic)
    purchase_female = body[4][6:10]
    assert purchase_female == (None, "", 20, "")  # suppressed: base only
    cell = wb["B01 男·女"].cell(row=head + 5, column=7)  # body[2], 1-based
    assert cell.value == 0.33
    assert cell.font.i
    assert cell.number_format == "0.0%"
    tier = [r for r in wb["B02 tier1·tier2·tier3"].iter_rows(values_only=True) if r[1] == "电视"]
    assert [tier[0][c] for c in (2, 5, 6, 9, 10, 13)] == [0.6, "BC", 0.5, "C", 0.3, ""]
    contents = {r[0]: r for r in wb["Contents"].iter_rows(values_only=True) if r[0]}
    assert contents["B01 男·女"][1] == "banner"
    assert "男 (A) | 女 (B)" in contents["B01 男·女"][3]
    notes = {r[0]: r[1] for r in wb["Notes"].iter_rows(min_row=2, values_only=True)}
    assert "subgroups across" in notes["banner sheets"]
    assert set(CSV_FILE_FIELDS) <= {k.removeprefix("findings.csv: ") for k in notes}


def test_xlsx_banner_sheets_are_deterministic(tmp_path):
    outs = []
    for run in ("a", "b"):
        _subgroups(tmp_path / run)
        fs = merge_findings(tmp_path / run, wave="w", title="演示", synthetic=True)
        outs.append(export_findings(fs, tmp_path / run))
    assert outs[0]["xlsx"].read_bytes() == outs[1]["xlsx"].read_bytes()
    assert outs[0]["csv"].read_bytes() == outs[1]["csv"].read_bytes()


def test_xlsx_contents_notes_and_one_sheet_per_table(tmp_path):
    _collect(tmp_path)
    fs = merge_findings(tmp_path, wave="w", synthetic=True, language="zh")
    path = export_findings(fs, tmp_path)["xlsx"]
    wb = load_workbook(path)
    assert wb.sheetnames == ["Contents", "Notes", "T01 shares.channels", "T02 wtp.mean"]
    contents = [r for r in wb["Contents"].iter_rows(values_only=True) if r[0]]
    assert any("合成数据" in str(r[0]) for r in contents)
    assert ("T01 shares.channels", "shares.channels") in [(r[0], r[1]) for r in contents]
    notes = {r[0]: r[1] for r in wb["Notes"].iter_rows(min_row=2, values_only=True)}
    assert "30" in notes["disclosure"]
    assert "50" in notes["disclosure"]
    ws = wb["T01 shares.channels"]
    assert ws["A1"].value == "信息渠道"
    body = [r for r in ws.iter_rows(values_only=True) if r[0] in ("电视", "网络", "商场")]
    tv = body[0]
    assert tv[:3] == ("电视", "加权", 0.4123456789)
    assert tv[6] == 120
    assert tv[7] == 131.5
    shop = next(r for r in body if r[0] == "商场" and r[1] == "加权")
    assert shop[2] is None
    assert shop[8] == "suppressed"
    est_cell = next(c for row in ws.iter_rows() for c in row if c.value == 0.4123456789)
    assert est_cell.number_format == "0.0%"


def _xlsx_values(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def test_two_runs_give_identical_outputs(tmp_path):
    outs = []
    for run in ("a", "b"):
        folder = tmp_path / run
        _collect(folder)
        fs = merge_findings(folder, wave="w", title="演示", synthetic=True)
        outs.append(export_findings(fs, folder))
    a, b = outs
    assert a["json"].read_bytes() == b["json"].read_bytes()
    assert a["csv"].read_bytes() == b["csv"].read_bytes()
    assert _xlsx_values(a["xlsx"]) == _xlsx_values(b["xlsx"])
    assert a["xlsx"].read_bytes() == b["xlsx"].read_bytes()  # fixed metadata: even the zip


def test_merge_keeps_chapter_order_and_rejects_duplicate_ids(tmp_path):
    Findings(tmp_path, "02-b", autosave=True).add(
        "b.one", pd.DataFrame({"estimate": [1.0]}, index=["x"]), title="b", unit="number")
    Findings(tmp_path, "01-a", autosave=True).add(
        "a.one", pd.DataFrame({"estimate": [1.0]}, index=["x"]), title="a", unit="number")
    fs = merge_findings(tmp_path, wave="w")
    assert [t.id for t in fs.tables] == ["a.one", "b.one"]
    assert [t.id for t in merge_findings(tmp_path, wave="w", chapters=["02-b"]).tables] == ["b.one"]
    Findings(tmp_path, "03-c", autosave=True).add(
        "a.one", pd.DataFrame({"estimate": [1.0]}, index=["x"]), title="c", unit="number")
    with pytest.raises(ReportError, match="published by both"):
        merge_findings(tmp_path, wave="w")


def test_table_html_marks_every_estimate(tmp_path):
    f = _collect(tmp_path, language="en")
    html = f["shares.channels"].to_html()
    assert 'data-finding="shares.channels/tv/weighted">41.2%</span>' in html
    assert 'data-finding="shares.channels/web/weighted">25.0%</span>*' in html
    assert 'data-finding="shares.channels/shop/weighted">—</span>' in html
    assert "unweighted base below 30" in html
    assert f.value("wtp.mean", "mean") == '<span data-finding="wtp.mean/mean/estimate">12.5%</span>'


def test_figure_is_saved_and_recorded(tmp_path):
    from analysis.report import plots

    f = Findings(tmp_path, "03-x", autosave=True)
    fig = plots.plot_shares(pd.DataFrame({"estimate": [0.3, 0.7]}, index=["a", "b"]))
    img = f.figure(fig, "shares-x", title="图")
    assert img.width > 100
    assert (tmp_path / "figures" / "shares-x.png").is_file()
    assert (tmp_path / "figures" / "shares-x.svg").is_file()
    frag = json.loads((tmp_path / "findings" / "03-x.json").read_text(encoding="utf-8"))
    assert frag["figures"][0]["files"] == ["figures/shares-x.png", "figures/shares-x.svg"]


# ------------------------------------------------------------------------- PII scan

@pytest.fixture
def clean_report(tmp_path) -> Path:
    _collect(tmp_path)
    export_findings(merge_findings(tmp_path, wave="w"), tmp_path)
    # decimals that look like phone numbers to a regex must not trip the scan
    (tmp_path / "page.html").write_text(
        "<html><style>.a{}</style><body><p>0.04231234567 13.9%</p>"
        "<p>sha256 a13812345678ffee0011aa04231234567bcd git 4a13812345678</p>"
        '<img src="data:image/png;base64,MTM4MTIzNDU2Nzg="></body></html>', encoding="utf-8")
    return tmp_path


def test_scan_passes_clean_outputs(clean_report):
    scanned = scan_outputs(clean_report, respondent_ids=["R2022000117"])
    names = {p.name for p in scanned}
    assert {"findings.json", "findings.csv", "findings.xlsx", "page.html"} <= names


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("leak.html", "<p>联系电话 13812345678</p>", "mobile number"),
    ("leak.json", json.dumps({"label": "邮箱 zhang.san@example.com"}), "email address"),
    ("leak.csv", "table_id,row_label\nt,身份证 11010519491231002X\n", "ID number"),
    ("leak.md", "微信 abc_123456", "WeChat ID"),
])
def test_scan_finds_pii_in_any_file(clean_report, name, content, kind):
    (clean_report / name).write_text(content, encoding="utf-8")
    with pytest.raises(ReportError, match=kind) as err:
        scan_outputs(clean_report)
    assert name in str(err.value)


def test_scan_reads_each_string_apart(clean_report):
    # A file's strings are scanned in one pass; a cue ending one string and digits starting
    # the next are not a number, while the same text inside one string is.
    (clean_report / "labels.json").write_text(json.dumps({"a": "联系电话", "b": "23456789号"}),
                                              encoding="utf-8")
    scan_outputs(clean_report)
    (clean_report / "labels.json").write_text(json.dumps({"a": "联系电话 23456789"}),
                                              encoding="utf-8")
    with pytest.raises(ReportError, match="landline"):
        scan_outputs(clean_report)


def test_scan_finds_pii_in_xlsx(clean_report):
    import xlsxwriter

    path = clean_report / "extra.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("s").write(0, 0, "QQ 123456789")
    wb.close()
    with pytest.raises(ReportError, match="QQ number.*extra.xlsx|extra.xlsx.*QQ"):
        scan_outputs(clean_report)


def test_scan_finds_respondent_ids(clean_report):
    (clean_report / "table.csv").write_text("id,x\nR2022000117,1\n", encoding="utf-8")
    with pytest.raises(ReportError, match="respondent id") as err:
        scan_outputs(clean_report, respondent_ids=["R2022000117", "7"])
    assert "table.csv" in str(err.value)
    # short numeric ids are skipped: they collide with ordinary numbers
    (clean_report / "table.csv").unlink()
    scan_outputs(clean_report, respondent_ids=["1", "12", "120"])


def test_scan_skips_fragments_folder(clean_report):
    (clean_report / "findings" / "x.json").write_text('{"a": "13812345678"}', encoding="utf-8")
    scan_outputs(clean_report)


def test_scan_rejects_respondent_level_tables(clean_report):
    (clean_report / "rows.csv").write_text("respondent_id,sex\nA1,m\n", encoding="utf-8")
    with pytest.raises(ReportError, match="respondent-level column"):
        scan_outputs(clean_report)
