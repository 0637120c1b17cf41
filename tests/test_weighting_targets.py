"""Target sums: typos are errors, rescaling is an explicit, reported opt-in (issue 9, item 4).

Shares must add to 1 or 100 within :data:`analysis._shares.SHARE_SUM_TOLERANCE`
of that scale.  A level typed as a proportion among percentages (or the
reverse) is named; a share margin adding to 95 is an error unless it opts in
with ``normalize: true`` (``normalize=[...]`` in Python), which the weighting
diagnostics then report.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.codebook import Margin, Targets, load_targets
from analysis.errors import TargetsError
from analysis.survey import SurveyDesign
from analysis.weight.methods import SHARE_SUM_TOLERANCE, calibrate, poststratify, rake

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "surveys" / "demo-2022"


@pytest.fixture
def sample(rng: np.random.Generator) -> pd.DataFrame:
    n = 600
    return pd.DataFrame({
        "sex": rng.choice(["male", "female"], n, p=[0.4, 0.6]),
        "tier": rng.choice(["tier1", "tier2", "tier3"], n, p=[0.2, 0.3, 0.5]),
        "dw": rng.uniform(0.5, 2.0, n),
    })


def shares(data: pd.DataFrame, col: str, w: pd.Series) -> pd.Series:
    return w.groupby(data[col]).sum() / w.sum()


def write_targets(folder: Path, sex: str, tier: str, tier_extra: str = "") -> Path:
    lines = ["population: adults", "margins:",
             "  sex:", f"    levels: {sex}", "    source: census",
             "  tier:", f"    levels: {tier}", "    source: census"]
    if tier_extra:
        lines.append(f"    {tier_extra}")
    path = folder / "targets.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_tolerance_is_half_a_percent_of_the_scale():
    assert SHARE_SUM_TOLERANCE == 0.005


# -- a proportion among percentages -------------------------------------------

def test_yaml_proportion_among_percentages_names_level_and_line(tmp_path):
    path = write_targets(tmp_path, "{male: 0.512, female: 48.76}",
                         "{tier1: 20, tier2: 30, tier3: 50}")
    with pytest.raises(TargetsError) as err:
        load_targets(path)
    e = err.value
    assert e.line == 4  # the line of sex's levels
    assert e.file == str(path)
    assert e.column == "sex"
    assert e.level == "male"
    assert "shares add to 49.272" in e.message
    assert "'male' = 0.512 looks like a proportion among percentages (51.2?)" in e.message
    assert "normalize: true" in e.hint


def test_yaml_error_cites_the_level_line_in_block_style(tmp_path):
    path = tmp_path / "targets.yaml"
    path.write_text(textwrap.dedent("""\
        population: adults
        margins:
          sex:
            source: census
            levels:
              male: 51.24
              female: 0.4876
        """), encoding="utf-8")
    with pytest.raises(TargetsError, match=r"'female' = 0.4876 looks like a proportion") as err:
        load_targets(path)
    assert err.value.line == 7


def test_rake_percentage_typo_names_level(sample):
    margins = {"sex": {"male": 51.2, "female": 0.488}}
    msg = (r"sex: shares add to 51.688; 'female' = 0.488 looks like a proportion among "
           r"percentages \(48.8\?\)")
    with pytest.raises(TargetsError, match=msg) as err:
        rake(sample, margins)
    assert err.value.column == "sex"
    assert err.value.level == "female"
    with pytest.raises(TargetsError, match=msg):
        SurveyDesign(sample, weights="dw").rake(margins)
    # the same typo beside a correct margin, and with an explicit total
    with pytest.raises(TargetsError, match=msg):
        rake(sample, {**margins, "tier": {"tier1": 20, "tier2": 30, "tier3": 50}},
             total="sample")


def test_percentage_among_proportions_is_named(sample):
    margins = {"sex": {"male": 0.5, "female": 0.5},
               "tier": {"tier1": 20.0, "tier2": 0.3, "tier3": 0.5}}
    with pytest.raises(TargetsError, match=r"'tier1' = 20 looks like a percentage among "
                                           r"proportions \(0.2\?\)") as err:
        rake(sample, margins)
    assert err.value.column == "tier"
    with pytest.raises(TargetsError, match="looks like a percentage among proportions"):
        poststratify(sample, {"tier": {"tier1": 20.0, "tier2": 0.3, "tier3": 0.5}})


# -- shares that do not add up --------------------------------------------------

def test_yaml_shares_adding_to_95_raise_with_line(tmp_path):
    path = write_targets(tmp_path, "{male: 51.24, female: 48.76}",
                         "{tier1: 10, tier2: 35, tier3: 50}")
    with pytest.raises(TargetsError, match=r"tier: shares add to 95, not 1 or 100") as err:
        load_targets(path)
    assert err.value.line == 7
    assert err.value.column == "tier"
    assert "normalize: true" in err.value.hint


def test_rake_shares_adding_to_95_raise(sample):
    margins = {"sex": {"male": 51.24, "female": 48.76},
               "tier": {"tier1": 10, "tier2": 35, "tier3": 50}}
    with pytest.raises(TargetsError, match=r"tier: shares add to 95, not 1 or 100"):
        rake(sample, margins)
    with pytest.raises(TargetsError, match=r"tier: shares add to 95"):
        SurveyDesign(sample).rake(margins)
    with pytest.raises(TargetsError, match=r"tier: shares add to 95"):
        rake(sample, margins, total=1e6)
    with pytest.raises(TargetsError, match=r"tier: shares add to 95"):
        calibrate(sample, margins)


def test_counts_are_still_counts(sample):
    # no margin is shares: population counts, which must agree (unchanged)
    counts = {"sex": {"male": 480, "female": 520}, "tier": {"tier1": 100, "tier2": 350,
                                                           "tier3": 550}}
    w = rake(sample, counts, tol=1e-12)
    assert w.sum() == pytest.approx(1000)
    with pytest.raises(TargetsError, match="disagree on the population total"):
        rake(sample, {**counts, "tier": {"tier1": 100, "tier2": 350, "tier3": 500}})


# -- sums within the tolerance are accepted -------------------------------------

def test_sums_within_tolerance_are_accepted(sample):
    margins = {"sex": {"male": 0.5, "female": 0.499},
               "tier": {"tier1": 20.1, "tier2": 30.1, "tier3": 50.1}}
    w, info = rake(sample, margins, weights="dw", tol=1e-12, return_info=True)
    assert w.sum() == pytest.approx(sample["dw"].sum())
    np.testing.assert_allclose(shares(sample, "sex", w)["male"], 0.5 / 0.999, rtol=1e-10)
    np.testing.assert_allclose(shares(sample, "tier", w)["tier1"], 20.1 / 100.3, rtol=1e-10)
    assert any("'tier'" in n and "100.3" in n and "within" in n for n in info.notes)


def test_yaml_sums_within_tolerance_load(tmp_path, sample):
    path = write_targets(tmp_path, "{male: 0.5, female: 0.499}",
                         "{tier1: 20.1, tier2: 30.1, tier3: 50.1}")
    targets = load_targets(path)
    w = rake(sample, targets, tol=1e-12)
    np.testing.assert_allclose(shares(sample, "tier", w)["tier3"], 50.1 / 100.3, rtol=1e-10)


def test_demo_targets_load_and_sum_within_tolerance():
    targets = load_targets(DEMO)
    for margin in targets.margins.values():
        total = sum(margin.levels.values())
        assert abs(total - 100) <= 100 * SHARE_SUM_TOLERANCE
        assert not margin.normalize


# -- normalize: the explicit opt-in ---------------------------------------------

def test_yaml_normalize_opt_in_rescales_and_is_reported(tmp_path, sample):
    path = write_targets(tmp_path, "{male: 51.24, female: 48.76}",
                         "{tier1: 10, tier2: 35, tier3: 50}", "normalize: true")
    targets = load_targets(path)
    assert targets.margins["tier"].normalize
    w, info = rake(sample, targets, tol=1e-12, return_info=True)
    np.testing.assert_allclose(shares(sample, "tier", w)["tier1"], 10 / 95, rtol=1e-10)
    np.testing.assert_allclose(shares(sample, "sex", w)["male"], 0.5124, rtol=1e-10)
    note = next(n for n in info.notes if "'tier'" in n)
    assert "normalize" in note
    assert "95" in note
    d = SurveyDesign(sample).rake(targets)
    assert note in d.calibrations[-1].info.notes


def test_python_normalize_opt_in(sample):
    margins = {"sex": {"male": 51.24, "female": 48.76},
               "tier": {"tier1": 10, "tier2": 35, "tier3": 50}}
    w, info = rake(sample, margins, normalize=["tier"], tol=1e-12, return_info=True)
    np.testing.assert_allclose(shares(sample, "tier", w)["tier1"], 10 / 95, rtol=1e-10)
    assert any("'tier'" in n and "95" in n and "normalize" in n for n in info.notes)
    assert not any("'sex'" in n for n in info.notes)
    d = SurveyDesign(sample, weights="dw").rake(margins, normalize=True)
    np.testing.assert_allclose(shares(sample, "tier", pd.Series(d.weights))["tier1"], 10 / 95,
                               rtol=1e-6)
    assert any("'tier'" in n for n in d.calibrations[-1].info.notes)
    # a Margin object carries the flag too
    m = {"sex": margins["sex"],
         "tier": Margin(levels=margins["tier"], source="census", normalize=True)}
    np.testing.assert_allclose(rake(sample, m, tol=1e-12).to_numpy(), w.to_numpy(), rtol=1e-12)
    with pytest.raises(TargetsError, match="normalize names"):
        rake(sample, margins, normalize=["region"])


def test_targets_built_in_python_are_checked():
    with pytest.raises(ValueError, match="shares add to 95"):
        Targets(population="adults", margins={
            "sex": Margin(levels={"male": 51.24, "female": 48.76}, source="census"),
            "tier": Margin(levels={"tier1": 10, "tier2": 35, "tier3": 50}, source="census")})


# -- the command line -----------------------------------------------------------

def test_cli_weight_stops_on_a_typo(tmp_path, capsys):
    from analysis.cli import main

    wave = tmp_path / "wave"
    shutil.copytree(DEMO, wave, ignore=shutil.ignore_patterns("*.parquet", "__pycache__"))
    path = wave / "targets.yaml"
    text = path.read_text(encoding="utf-8")
    assert "{male: 51.24, female: 48.76}" in text
    path.write_text(text.replace("{male: 51.24,", "{male: 0.5124,"), encoding="utf-8")
    code = main(["-q", "weight", str(wave)])
    err = capsys.readouterr().err
    assert code != 0
    assert "'male' = 0.5124 looks like a proportion among percentages (51.24?)" in err
    assert "targets.yaml" in err


def test_percentages_are_shares_of_the_sample_total(sample):
    # Targets adding to 100 are percentages: scaled to the weight total like proportions,
    # not kept as a population of 100 (pass total=100 for that).
    pct = {"tier": {"tier1": 20.0, "tier2": 30.0, "tier3": 50.0}}
    prop = {"tier": {k: v / 100 for k, v in pct["tier"].items()}}
    w = rake(sample, pct, weights="dw")
    np.testing.assert_allclose(w.to_numpy(), rake(sample, prop, weights="dw").to_numpy(),
                               rtol=1e-14)
    assert w.sum() == pytest.approx(sample["dw"].sum())
    assert rake(sample, pct, total=100).sum() == pytest.approx(100)
    ps = poststratify(sample, pct, weights="dw")
    np.testing.assert_allclose(ps.to_numpy(), w.to_numpy(), rtol=1e-14)


def test_margins_table_accepts_the_opt_in(sample):
    from analysis.weight.diagnostics import margins_table

    margins = {"tier": {"tier1": 10, "tier2": 35, "tier3": 50}}
    w = rake(sample, margins, normalize=True)
    with pytest.raises(TargetsError, match="normalize"):
        margins_table(sample, {**margins, "sex": {"male": 50, "female": 50}}, w)
    table = margins_table(sample, margins, w, normalize=["tier"])
    np.testing.assert_allclose(table["target_share"], np.array([10, 35, 50]) / 95)
    np.testing.assert_allclose(table["after_share"], table["target_share"], rtol=1e-10)
