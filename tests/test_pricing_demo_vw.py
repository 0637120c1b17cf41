"""The demo wave's Van Westendorp block (questions 21-26 of surveys/demo-2022).

The block is declared through ``psm:`` roles in survey.yaml, so
``d.van_westendorp()`` finds it; the two purchase-intent questions are
cleaned ``likert`` categoricals whose option codes feed the
Newton-Miller-Smith extension.  Screening flags (does not exclude)
respondents whose prices are out of order; the meter leaves out exactly the
genuine respondents whose generated prices are out of order (truth.yaml:
those made to swap "cheap" and "expensive", and a few whose noise crossed
two neighbouring answers), and counts them.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

WAVE = Path(__file__).resolve().parents[1] / "surveys" / "demo-2022"
pytestmark = pytest.mark.skipif(not (WAVE / "truth.yaml").exists(),
                                reason="demo wave surveys/demo-2022 not generated")


@pytest.fixture(scope="module")
def prepared():
    from analysis.pipeline import prepare_wave

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the demo's injected dirt is reported at load time
        return prepare_wave(WAVE)


@pytest.fixture(scope="module")
def truth() -> dict:
    return yaml.safe_load((WAVE / "truth.yaml").read_text(encoding="utf-8"))


def test_block_is_found_by_codebook_roles_with_purchase_intent(prepared, truth):
    d = prepared.design
    vw = truth["van_westendorp"]
    res = d.van_westendorp(pi_cheap=vw["purchase_intent"]["cheap"],
                           pi_expensive=vw["purchase_intent"]["expensive"], replicates=50,
                           seed=3)
    pp = res.summary_frame()
    assert list(pp.index) == ["pmc", "opp", "ipp", "pme", "trial_optimal", "revenue_optimal"]
    assert pp["se"].gt(0).all()
    est = pp["estimate"]
    assert est["pmc"] < est["opp"] < est["ipp"] < est["pme"]
    # Prices are B x (0.45, 0.75, 1.3, 1.8) around a median B near 150 yuan.
    assert 0.45 * 150 < est["pmc"] < est["pme"] < 1.8 * 150
    ids = set(vw["genuine_inconsistent"])
    assert set(vw["genuine_swapped_cheap_expensive"]) <= ids
    kept = d.data["respondent_id"].astype(int).isin(ids).to_numpy()
    assert res.audit.loc["inconsistent_excluded", "respondents"] == int(kept.sum())
    assert set(d.data.loc[res.excluded, "respondent_id"].astype(int)) <= ids
    trial = res.nms_curves().query("curve == 'trial'")
    assert trial["estimate"].between(0, 0.7).all()
    assert est["trial_optimal"] == trial.loc[trial["estimate"].idxmax(), "price"]


def test_narrower_range_and_kept_inconsistent_respondents(prepared):
    d = prepared.design
    classic = d.van_westendorp(replicates=20, seed=3)
    narrow = d.van_westendorp(price_range="narrower", replicates=20, seed=3)
    kept = d.van_westendorp(inconsistent="keep", replicates=20, seed=3)
    lo, hi = classic.acceptable_range
    nlo, nhi = narrow.acceptable_range
    assert lo < nlo < nhi < hi
    assert kept.audit.loc["used", "respondents"] == (
        classic.audit.loc["used", "respondents"]
        + classic.audit.loc["inconsistent_excluded", "respondents"])
    assert np.isfinite(kept.summary_frame()["estimate"]).all()
