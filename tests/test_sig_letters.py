"""Significance letters in the column-letter convention, from the test to every output.

Each column of a subgroup table has a letter in its header (``"g1 (A)"``); a
cell lists the letters of the columns it is significantly *higher* than.  The
tests plant differences of known direction and follow them through
:func:`subgroup_differences`, :class:`Findings` (HTML), findings.json, the CSV
and the xlsx.
"""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from analysis import SurveyDesign
from analysis.errors import ModelError, ReportError
from analysis.models import significance_letters
from analysis.report.export import FIELD_DOCS, export_findings, merge_findings
from analysis.report.findings import Findings
from analysis.report.i18n import t


def _planted(shares: dict[str, float], n: int = 200) -> SurveyDesign:
    """Groups of ``n`` respondents with exactly ``share * n`` reporting the barrier."""
    parts = []
    for g, p in shares.items():
        k = round(p * n)
        parts.append(pd.DataFrame({"grp": g, "hard": [True] * k + [False] * (n - k)}))
    return SurveyDesign(pd.concat(parts, ignore_index=True))


class _Cells(HTMLParser):
    """Header texts and, per ``data-finding`` key, the text of the cell's sig column."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.sig: dict[str, str] = {}
        self._key: str | None = None
        self._in: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "span" and "data-finding" in a:
            self._key = a["data-finding"]
        if tag == "th" and "colspan" in a:
            self._in, self._text = "th", ""
        if tag == "td" and a.get("class") == "gs-sig":
            self._in, self._text = "sig", ""

    def handle_data(self, data):
        if self._in:
            self._text += data

    def handle_endtag(self, tag):
        if self._in == "th" and tag == "th":
            self.headers.append(self._text)
        elif self._in == "sig" and tag == "td":
            self.sig[self._key] = self._text
        if tag in ("th", "td"):
            self._in = None


def _publish(out: Path, design: SurveyDesign, language: str = "zh") -> tuple[Findings, _Cells]:
    """The notebook-04 call on a planted design; returns the collector and the parsed HTML."""
    sg = design.subgroup_differences(["hard"], by="grp", adjust="holm")
    f = Findings(out, "04-drivers", language, autosave=True)
    tab = f.add("drivers.planted", sg.prevalence, title="planted", index="variable",
                split="group", sig="sig", column_letters="column_letter",
                show=("estimate", "n", "sig"))
    parsed = _Cells()
    parsed.feed(tab.to_html())
    return f, parsed


@pytest.mark.parametrize(("shares", "high", "low"),
                         [({"g1": 0.8, "g2": 0.2}, "g1", "g2"),
                          ({"g1": 0.2, "g2": 0.8}, "g2", "g1")])
def test_higher_group_lists_the_lower_groups_letter(shares, high, low):
    res = _planted(shares).subgroup_differences("hard", by="grp")
    prev = res.prevalence.set_index("group")
    assert prev["column_letter"].to_dict() == {"g1": "A", "g2": "B"}  # groups' own order
    assert prev.loc[high, "sig"] == prev.loc[low, "column_letter"]
    assert prev.loc[low, "sig"] == ""
    assert res.pairwise["p_adjusted"].iloc[0] < 1e-10  # the planted gap is decisive
    table = res.letter_table()
    assert list(table.columns) == ["g1 (A)", "g2 (B)"]
    assert table.loc["hard", f"{high} ({prev.loc[high, 'column_letter']})"].endswith(
        " " + prev.loc[low, "column_letter"])
    assert table.loc["hard", f"{low} ({prev.loc[low, 'column_letter']})"] == (
        f"{100 * shares[low]:.1f}")


@pytest.mark.parametrize(("shares", "high", "low"),
                         [({"g1": 0.8, "g2": 0.2}, "g1", "g2"),
                          ({"g1": 0.2, "g2": 0.8}, "g2", "g1")])
def test_html_json_csv_xlsx_say_the_same(tmp_path, shares, high, low):
    _, parsed = _publish(tmp_path, _planted(shares))
    letter = {"g1": "A", "g2": "B"}
    assert parsed.headers == ["g1 (A)", "g2 (B)"]
    assert parsed.sig == {f"drivers.planted/hard/{high}": letter[low],
                          f"drivers.planted/hard/{low}": ""}

    paths = export_findings(merge_findings(tmp_path, wave="w"), tmp_path)
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    tab = doc["tables"][0]
    assert tab["columns"] == [{"key": "g1", "label": "g1", "letter": "A"},
                              {"key": "g2", "label": "g2", "letter": "B"}]
    json_sig = {f"{c['table_id']}/{c['row']}/{c['column']}": c["sig"] for c in tab["cells"]}
    assert json_sig == parsed.sig
    assert {c["column"]: c["column_letter"] for c in tab["cells"]} == letter
    assert "higher than" in doc["fields"]["sig"] == FIELD_DOCS["sig"]

    rows = list(csv.DictReader(io.StringIO(paths["csv"].read_bytes().decode("utf-8-sig"))))
    assert {f"{r['table_id']}/{r['row']}/{r['column']}": r["sig"] for r in rows} == parsed.sig

    ws = load_workbook(paths["xlsx"])["T01 drivers.planted"]
    values = list(ws.iter_rows(values_only=True))
    assert any(r[0] == t("flag.sig", "zh") for r in values)  # the legend line
    keys = next(r for r in values if r[0] == "row")
    body = {r[1]: dict(zip(keys, r)) for r in values if r[1] in ("g1 (A)", "g2 (B)")}
    assert set(body) == {"g1 (A)", "g2 (B)"}  # the letters ride in the column headers
    assert {k: v["sig"] or "" for k, v in body.items()} == {
        f"{high} ({letter[high]})": letter[low], f"{low} ({letter[low]})": ""}


def test_no_difference_shows_no_letters_but_keeps_the_headers(tmp_path):
    f, parsed = _publish(tmp_path, _planted({"g1": 0.5, "g2": 0.5}), language="en")
    assert parsed.headers == ["g1 (A)", "g2 (B)"]
    assert parsed.sig == {"drivers.planted/hard/g1": "", "drivers.planted/hard/g2": ""}
    html = f["drivers.planted"].to_html()
    assert t("flag.sig", "en") in html
    assert "significantly higher than" in t("flag.sig", "en")
    assert "显著高于" in t("flag.sig", "zh")


def test_three_groups():
    # 80% > 50% > 20%: every pair differs; A is above B and C, B above C.
    res = _planted({"t1": 0.8, "t2": 0.5, "t3": 0.2}).subgroup_differences("hard", by="grp")
    assert res.prevalence.set_index("group")["sig"].to_dict() == {"t1": "BC", "t2": "C",
                                                                   "t3": ""}
    # 50% ~ 46% > 20%: the close pair is not significant, both sit above the third.
    res = _planted({"t1": 0.5, "t2": 0.46, "t3": 0.2}).subgroup_differences("hard", by="grp")
    pair = res.pairwise.set_index(["group_a", "group_b"])["p_adjusted"]
    assert pair[("t1", "t2")] > 0.05
    assert pair[("t1", "t3")] < 0.05
    assert pair[("t2", "t3")] < 0.05
    assert res.prevalence.set_index("group")["sig"].to_dict() == {"t1": "C", "t2": "C", "t3": ""}
    # Reversed: the lowest group comes first and carries no letters.
    res = _planted({"t1": 0.2, "t2": 0.5, "t3": 0.8}).subgroup_differences("hard", by="grp")
    assert res.prevalence.set_index("group")["sig"].to_dict() == {"t1": "", "t2": "A",
                                                                   "t3": "AB"}


def test_letters_follow_the_category_order_on_every_row():
    d = _planted({"x": 0.8, "y": 0.2}).data
    d["grp"] = pd.Categorical(d["grp"], categories=["y", "x"])
    d["other"] = d["hard"]
    res = SurveyDesign(d).subgroup_differences(["hard", "other"], by="grp")
    prev = res.prevalence
    assert prev["column_letter"].tolist() == ["A", "B", "A", "B"]  # y is A: categories' order
    assert prev.set_index(["variable", "group"]).loc[("hard", "x"), "sig"] == "A"


def test_significance_letters_reads_the_direction_from_the_difference():
    pairs = [("a", "b"), ("a", "c"), ("b", "c")]
    out = significance_letters(["a", "b", "c"], pairs, [True, False, True], [-0.3, 0.1, 0.2])
    assert out["column_letter"].tolist() == ["A", "B", "C"]
    assert out["sig"].to_dict() == {"a": "", "b": "AC", "c": ""}
    none = significance_letters(["a", "b", "c"], pairs, [False] * 3, [0.5, 0.5, 0.5])
    assert (none["sig"] == "").all()
    with pytest.raises(ModelError, match="at most 26"):
        significance_letters(range(27), [], [], [])
    with pytest.raises(ModelError, match="not in"):
        significance_letters(["a", "b"], [("a", "z")], [True], [0.1])
    with pytest.raises(ModelError, match="same length"):
        significance_letters(["a", "b"], [("a", "b")], [True], [])


def _frame(sig: list[str], letters: list[str], n: int = 100) -> pd.DataFrame:
    return pd.DataFrame({"variable": "v", "group": ["g1", "g2"], "estimate": [0.8, 0.2],
                         "n": n, "sig": sig, "letter": letters})


def test_findings_rejects_letters_that_contradict_the_headers(tmp_path):
    f = Findings(tmp_path, "c")
    kw = {"title": "x", "index": "variable", "split": "group", "sig": "sig"}
    with pytest.raises(ReportError, match="no letters"):
        f.add("t.a", _frame(["B", ""], ["A", "B"]), **kw)
    with pytest.raises(ReportError, match="not another column"):
        f.add("t.b", _frame(["C", ""], ["A", "B"]), column_letters="letter", **kw)
    with pytest.raises(ReportError, match="not another column"):
        f.add("t.c", _frame(["A", ""], ["A", "B"]), column_letters="letter", **kw)
    with pytest.raises(ReportError, match="its own letter"):
        f.add("t.d", _frame(["", ""], ["A", "A"]), column_letters="letter", **kw)
    with pytest.raises(ReportError, match="one capital"):
        f.add("t.e", _frame(["", ""], ["a", "b"]), column_letters="letter", **kw)
    tab = f.add("t.f", _frame(["B", ""], ["A", "B"]), column_letters={"g1": "A", "g2": "B"},
                **kw)
    assert tab.column_letters == {"g1": "A", "g2": "B"}
    assert tab.cell("v", "g1").sig == "B"


def test_a_suppressed_cell_shows_no_letters(tmp_path):
    f = Findings(tmp_path, "c")
    tab = f.add("t.a", _frame(["B", ""], ["A", "B"], n=10), title="x", index="variable",
                split="group", sig="sig", column_letters="letter")
    assert tab.cell("v", "g1").flag == "suppressed"
    assert tab.cell("v", "g1").sig == ""
    assert tab.cell("v", "g1").column_letter == "A"  # the header keeps its letter
