"""Microdata out: cleaned respondent rows with final weights, labels and missing kinds.

A 300-respondent synthetic wave is changed the way real waves differ from
the demo: a personal column to hash (``来源``), a free-text question with a
long id and a long label, and a phone number typed into that free text.  The
files written in every format are read back (pyreadstat for SPSS/Stata,
pandas/openpyxl for the rest) and compared with the prepared wave.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analysis.cli import main
from analysis.errors import ReportError
from analysis.ingest.wave import SALT_ENV
from analysis.pii import salted_hash
from analysis.pipeline import prepare_wave
from analysis.report.microdata import (
    MicrodataWarning,
    export_microdata,
    microdata_frame,
)
from analysis.synth.demo import write_wave

SALT = "microdata-test-salt"
PHONE = "13812345678"
LONG_ID = "suggestion_for_promoting_low_carbon_consumption_in_china"
LONG_LABEL = "您对推广低碳产品和低碳消费有什么建议？" * 6  # 114 characters: over Stata's 80


def _make_wave(folder: Path, *, scrub: bool = True) -> Path:
    write_wave(folder, n=300)
    yaml = (folder / "survey.yaml").read_text(encoding="utf-8")
    yaml = yaml.replace("- {column: 来源详情, action: drop}",
                        "- {column: 来源详情, action: drop}\n- {column: 来源, action: hash}")
    old = yaml[yaml.index("- id: suggestion\n"):yaml.index("derived:")]
    label = old[old.index("  label:"):old.index("  source:")]
    yaml = yaml.replace(old, old.replace("- id: suggestion", f"- id: {LONG_ID}")
                        .replace(label, f"  label: {{zh: {LONG_LABEL}, en: Suggestions}}\n"))
    if not scrub:
        yaml += "scan_free_text: false\n"
    (folder / "survey.yaml").write_text(yaml, encoding="utf-8")
    raw = next((folder / "raw").glob("*.csv"))
    rows = list(csv.reader(io.StringIO(raw.read_bytes().decode("gb18030"))))
    col = next(i for i, h in enumerate(rows[0]) if h.startswith("20、"))
    for row in rows[1::10]:
        row[col] = f"多宣传，有问题打我电话 {PHONE}"
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    raw.write_bytes(buf.getvalue().encode("gb18030"))
    return folder


def _prepare(folder: Path):
    before = os.environ.get(SALT_ENV)
    os.environ[SALT_ENV] = SALT
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return prepare_wave(folder)
    finally:
        if before is None:
            os.environ.pop(SALT_ENV, None)
        else:
            os.environ[SALT_ENV] = before


@pytest.fixture(scope="module")
def wave(tmp_path_factory) -> Path:
    return _make_wave(tmp_path_factory.mktemp("microdata") / "wave")


@pytest.fixture(scope="module")
def prepared(wave):
    return _prepare(wave)


@pytest.fixture
def no_env_salt(monkeypatch):
    monkeypatch.delenv(SALT_ENV, raising=False)


def _export(prepared, path: Path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MicrodataWarning)
        return export_microdata(prepared, path, salt=SALT, **kw)


def test_spss_values_labels_missing_codes_and_weights(prepared, tmp_path):
    res = _export(prepared, tmp_path / "wave.sav", replicates=4, seed=7)
    data, meta = pyreadstat.read_sav(str(res.path), user_missing=True)
    frame, _, _ = microdata_frame(prepared, replicates=4, seed=7, salt=SALT)
    cb = prepared.codebook
    assert len(data) == prepared.cleaned.n_kept == res.n_rows
    # weights: the design's final weights and the replicates with the raking redone
    np.testing.assert_array_equal(data["weight"].to_numpy(), prepared.design.weights)
    reps = prepared.replicates(4, seed=7).repweights
    np.testing.assert_array_equal(data[[f"repw_{i}" for i in range(1, 5)]].to_numpy(), reps)
    # a single choice: the codebook's codes, labelled, question text as variable label
    q = cb.question("purchased")
    answered = frame["purchased"].notna().to_numpy()
    codes = frame["purchased"].astype(object).map({o.key: float(o.code) for o in q.options})
    np.testing.assert_array_equal(data["purchased"].to_numpy()[answered], codes[answered])
    assert meta.variable_value_labels["purchased"] == {float(o.code): o.label.zh for o in q.options}
    assert meta.column_names_to_labels["purchased"] == q.label.zh
    assert meta.variable_measure["attitudes_concern"] == "ordinal"
    # a select-all option: 1/0 with the option in the label
    opt = cb.question("channels").options[2]
    col = f"channels_{opt.key}"
    np.testing.assert_array_equal(data[col].to_numpy(), frame[col].astype(float).to_numpy())
    assert meta.column_names_to_labels[col] == f"{cb.question('channels').label.zh}: {opt.label.zh}"
    # a derived variable keeps its levels as labelled codes
    assert list(meta.variable_value_labels["region"].values()) == [
        lab.zh for lab in cb.derived[0].labels.values()]
    # missing kinds stay distinct: one user-missing code per kind, declared and labelled
    value, why = frame["purchase_count"], frame["purchase_count__missing"]
    kinds = {k: (why == k).to_numpy() & value.isna().to_numpy() for k in ("skipped", "out_of_range")}
    assert all(mask.any() for mask in kinds.values())
    assert (data.loc[kinds["skipped"], "purchase_count"] == -3).all()
    assert (data.loc[kinds["out_of_range"], "purchase_count"] == -6).all()
    declared = {r["lo"] for r in meta.missing_ranges["purchase_count"]}
    assert {-3.0, -6.0} <= declared
    assert meta.variable_value_labels["purchase_count"][-3.0] == "跳过"
    assert list(data["purchase_count__missing"][kinds["skipped"]].unique()) == ["skipped"]
    plain, _ = pyreadstat.read_sav(str(res.path))  # SPSS semantics: declared codes are missing
    assert plain.loc[kinds["skipped"] | kinds["out_of_range"], "purchase_count"].isna().all()
    ok = value.notna().to_numpy()
    np.testing.assert_array_equal(plain["purchase_count"].to_numpy()[ok], value.to_numpy()[ok])
    assert any("SYNTHETIC" in n for n in meta.notes)


def test_stata_extended_missing_labels_and_name_limits(prepared, tmp_path):
    with pytest.warns(MicrodataWarning, match="suggestion_for_promoting") as record:
        res = export_microdata(prepared, tmp_path / "wave.dta", language="en", salt=SALT)
    assert "renamed" in " ".join(str(w.message) for w in record)
    data, meta = pyreadstat.read_dta(str(res.path), user_missing=True)
    assert all(len(c) <= 32 for c in data.columns)
    new = res.renamed[LONG_ID]
    assert new in data.columns
    assert len(new) <= 32
    assert meta.column_names_to_labels[new] == "Suggestions"
    frame, _, _ = microdata_frame(prepared, salt=SALT)
    np.testing.assert_array_equal(data["weight"].to_numpy(), prepared.design.weights)
    why, value = frame["purchase_count__missing"], frame["purchase_count"]
    skipped = ((why == "skipped") & value.isna()).to_numpy()
    assert (data.loc[skipped, "purchase_count"] == "b").all()  # .b: skipped
    assert {"b", "f"} <= set(meta.missing_user_values["purchase_count"])
    assert meta.variable_value_labels["purchase_count"]["b"] == "skipped"
    q = prepared.codebook.question("purchased")
    assert meta.variable_value_labels["purchased"] == {o.code: o.label.en for o in q.options}
    plain, _ = pyreadstat.read_dta(str(res.path))
    assert plain.loc[skipped, "purchase_count"].isna().all()


def test_stata_cuts_long_labels_to_80_characters(prepared, tmp_path):
    with pytest.warns(MicrodataWarning, match="80 characters"):
        res = export_microdata(prepared, tmp_path / "zh.dta", salt=SALT)
    _, meta = pyreadstat.read_dta(str(res.path))
    label = meta.column_names_to_labels[res.renamed[LONG_ID]]
    assert label == LONG_LABEL[:80]
    assert LONG_ID in res.shortened


def _canonical(frame: pd.DataFrame) -> dict[str, list]:
    """Column -> values as comparable Python scalars (numbers as floats, NA as None)."""
    out = {}
    for col in frame.columns:
        s = frame[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            values = [None if pd.isna(v) else pd.Timestamp(v).floor("s") for v in s]
        elif pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            values = [None if pd.isna(v) else float(v) for v in s.astype("Float64")]
        else:
            values = [None if pd.isna(v) or v == "" else str(v) for v in s.astype(object)]
        out[col] = values
    return out


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_csv_parquet_xlsx_read_back_equal(prepared, tmp_path, fmt):
    res = _export(prepared, tmp_path / f"wave.{fmt}", replicates=2, seed=1)
    frame, _, _ = microdata_frame(prepared, replicates=2, seed=1, salt=SALT)
    if fmt == "parquet":
        back = pd.read_parquet(res.path)
        pd.testing.assert_frame_equal(back, frame.reset_index(drop=True))
        return
    if fmt == "csv":
        back = pd.read_csv(res.path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        for col in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[col]):
                back[col] = pd.to_datetime(back[col].replace("", None))
            elif pd.api.types.is_bool_dtype(frame[col]) or pd.api.types.is_numeric_dtype(frame[col]):
                back[col] = pd.to_numeric(back[col].replace("", None))
    else:
        back = pd.read_excel(res.path, sheet_name="data", engine="openpyxl")
        variables = pd.read_excel(res.path, sheet_name="variables", engine="openpyxl")
        assert variables.set_index("variable").loc["purchased", "values"] == "yes=是; no=否"
    assert list(back.columns) == list(frame.columns)
    got, want = _canonical(back), _canonical(frame)
    if fmt == "xlsx":  # Excel keeps 15 significant digits of a number; CSV writes them exactly
        for col in [c for c in frame.columns if pd.api.types.is_float_dtype(frame[c])]:
            a, b = (np.array(x.pop(col), dtype=float) for x in (got, want))
            np.testing.assert_allclose(a, b, rtol=1e-14, equal_nan=True, err_msg=col)
    assert got == want


def test_personal_data_stays_out(prepared, tmp_path):
    cleaned = prepared.cleaned.data
    text_col = LONG_ID
    assert cleaned[text_col].astype("string").str.contains("[mobile]", regex=False).any()
    for fmt in ("csv", "xlsx", "sav", "dta", "parquet"):
        res = _export(prepared, tmp_path / f"p.{fmt}")
        for gone in ("来源详情", "来源", "来源_hash", "来自IP", "ip_hash", "source_row"):
            assert gone not in res.columns
        assert "来源_hash" in res.dropped  # the hashed personal column ingest kept
        if fmt == "csv":
            text = res.path.read_text(encoding="utf-8-sig")
            assert PHONE not in text
            assert "[mobile]" in text
        elif fmt in ("sav", "dta"):
            reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
            data, _ = reader(str(res.path))
            column = res.renamed.get(text_col, text_col)
            assert not data[column].astype(str).str.contains(PHONE).any()
            assert data[column].astype(str).str.contains("[mobile]", regex=False).any()
        assert PHONE.encode() not in res.path.read_bytes()
    # ids: the salted hash clean() would produce with the same salt
    res = _export(prepared, tmp_path / "ids.parquet")
    ids = pd.read_parquet(res.path)["respondent_id"]
    expected = salted_hash(cleaned["respondent_id"], SALT)
    assert list(ids) == list(expected)
    assert not set(ids) & set(cleaned["respondent_id"].astype(str))


def test_ids_are_dropped_without_a_salt(prepared, tmp_path, no_env_salt):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MicrodataWarning)
        res = export_microdata(prepared, tmp_path / "noid.csv")
    assert "respondent_id" not in res.columns
    assert "respondent_id" in res.dropped


def test_pii_in_the_written_file_is_refused(tmp_path):
    raw_wave = _prepare(_make_wave(tmp_path / "unscrubbed", scrub=False))
    out = tmp_path / "out" / "leak.sav"
    with pytest.raises(ReportError, match="personal data") as err:
        _export(raw_wave, out)
    assert "leak.sav" in str(err.value)
    assert "partial" not in str(err.value)
    assert not out.exists()
    assert list(out.parent.iterdir()) == []  # no partial file either


def test_replicate_requests_are_checked(prepared, tmp_path):
    with pytest.raises(ReportError, match="JK1 deletes one respondent"):
        _export(prepared, tmp_path / "x.csv", replicates=5, replicate_type="JK1")
    with pytest.raises(ReportError, match="replicate type"):
        _export(prepared, tmp_path / "x.csv", replicates=5, replicate_type="BRR")
    with pytest.raises(ReportError, match="unknown microdata format"):
        _export(prepared, tmp_path / "x.rds")


def test_cli_export(wave, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(SALT_ENV, SALT)
    out = tmp_path / "cli.sav"
    argv = ["-q", "export", str(wave), "--format", "sav", "-o", str(out), "--replicates", "3",
            "--seed", "11"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "3 bootstrap replicate weights" in printed
    data, _ = pyreadstat.read_sav(str(out))
    assert [c for c in data.columns if c.startswith("repw_")] == ["repw_1", "repw_2", "repw_3"]
    assert main(argv) == 2  # exists: needs --force
    assert "--force" in capsys.readouterr().err
    assert main([*argv, "--force"]) == 0
