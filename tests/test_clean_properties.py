"""Property tests: every respondent is accounted for, for random frames and rule configs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_clean_helpers import GRID_ITEMS, LIKERT, make_codebook

from analysis.cleaning.cleaner import clean
from analysis.errors import DuplicateIdError

SECRETS = ("13812345678", "11010519491231002X", "green_life88", "eco@example.com")
COMMENTS = ["好", "还不错", f"电话 {SECRETS[0]}", f"身份证{SECRETS[1]}", f"微信 {SECRETS[2]}",
            f"邮箱 {SECRETS[3]}", "1999元太贵", "202301 买的", None]
ACTIONS = st.sampled_from(["exclude", "flag"])


@st.composite
def screening_configs(draw):
    speeders = draw(st.one_of(st.none(), st.fixed_dictionaries({
        "fraction_of_median": st.floats(0.05, 0.95),
        "min_seconds": st.one_of(st.none(), st.floats(0, 200)),
        "action": ACTIONS})))
    spec = {
        "speeders": speeders,
        "attention_checks": draw(st.lists(st.fixed_dictionaries({
            "question": st.just("att"),
            "correct": st.lists(st.integers(1, 5), min_size=1, max_size=2, unique=True),
            "action": ACTIONS}), max_size=1)),
        "straightlining": draw(st.lists(st.fixed_dictionaries({
            "grid": st.just("g"), "min_run": st.sampled_from([None, 2, 3, 4]),
            "action": ACTIONS}), max_size=1)),
        "duplicates": {"ids": draw(st.sampled_from(["error", "exclude", "flag"])),
                       "answers": draw(ACTIONS), "ip": draw(ACTIONS)},
        "consistency": draw(ACTIONS),
    }
    return spec


@st.composite
def frames(draw):
    n = draw(st.integers(0, 18))

    def column(strategy):
        return draw(st.lists(strategy, min_size=n, max_size=n))

    def cat(values, categories, ordered=False):
        return pd.Categorical(values, categories=categories, ordered=ordered)

    small = st.sampled_from(["l1", "l2", None])
    frame = pd.DataFrame({
        "respondent_id": pd.array(column(st.sampled_from(["a", "b", "c"]))
                                  if draw(st.booleans()) else [f"r{i}" for i in range(n)],
                                  dtype="string"),
        "source_row": pd.array(np.arange(1, n + 1), dtype="Int64"),
        "duration_s": column(st.one_of(st.floats(1, 1000), st.just(np.nan))),
        "submitted_at": pd.to_datetime(column(st.sampled_from(
            ["2024-01-01 10:00", "2024-01-01 09:00", None]))),
        "ip_hash": pd.array(column(st.sampled_from(["h1", "h2", "h3", None])), dtype="string"),
        "gender": cat(column(st.sampled_from(["male", "female", None])), ["male", "female"]),
        "gender__missing": pd.array(column(st.sampled_from(
            [None, "invalid:9", f"invalid:{SECRETS[0]}", "skipped"])), dtype="string"),
        "age": column(st.one_of(st.floats(0, 120), st.just(np.nan))),
        "buy": cat(column(st.sampled_from(["yes", "no", None])), ["yes", "no"]),
        "why_price": pd.array(column(st.sampled_from([True, False, None])), dtype="boolean"),
        "why_quality": pd.array(column(st.sampled_from([True, False, None])), dtype="boolean"),
        "why_other": pd.array(column(st.sampled_from([False, None])), dtype="boolean"),
        "how": cat(column(st.sampled_from(["online", "store", None])), ["online", "store"]),
        "att": cat(column(st.sampled_from([*LIKERT, None])), LIKERT, ordered=True),
        **{f"g_{x}": cat(column(small), LIKERT, ordered=True) for x in GRID_ITEMS},
        "bid_bid1": column(st.sampled_from([10.0, 20.0])),
        "bid_ans1": pd.array(column(st.sampled_from([True, False, None])), dtype="boolean"),
        "bid_bid2": column(st.sampled_from([5.0, 10.0, 20.0, 40.0, np.nan])),
        "bid_ans2": pd.array(column(st.sampled_from([True, False, None])), dtype="boolean"),
        "psm_too_cheap": column(st.sampled_from([1.0, 3.0, np.nan])),
        "psm_cheap": column(st.sampled_from([2.0, 3.0])),
        "psm_expensive": column(st.sampled_from([3.0, 4.0, 2.0])),
        "psm_too_expensive": column(st.sampled_from([4.0, 9.0])),
        "comment": pd.array(column(st.sampled_from(COMMENTS)), dtype="string"),
    })
    frame["gender"] = frame["gender"].mask(frame["gender__missing"].notna())
    return frame


@pytest.mark.filterwarnings("ignore::analysis.errors.DataQualityWarning")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=frames(), config=screening_configs())
def test_every_respondent_is_accounted_for(frame, config):
    cb = make_codebook(config)
    frame.attrs["codebook_json"] = cb.to_json()
    before = frame.copy(deep=True)
    dup_ids = frame["respondent_id"].duplicated().any()
    if config["duplicates"]["ids"] == "error" and dup_ids:
        try:
            clean(frame)
        except DuplicateIdError:
            pd.testing.assert_frame_equal(frame, before)
            return
        raise AssertionError("repeated ids must raise under duplicates.ids='error'")

    res = clean(frame)
    n = len(frame)
    event(f"excluded: {min(res.n_excluded, 3)}+, audit rules: {min(res.audit['rule'].nunique(), 6)}+")
    # Accounting: in = kept + excluded, disjoint, each excluded once with an audited rule.
    assert res.n_in == n == res.n_kept + res.n_excluded
    kept, gone = set(res.data["source_row"]), set(res.excluded["source_row"])
    assert kept.isdisjoint(gone)
    assert kept | gone == set(range(1, n + 1))
    assert res.excluded["source_row"].is_unique
    audit_ex = res.audit[res.audit["action"] == "exclude"]
    pairs = set(zip(audit_ex["source_row"], audit_ex["rule"]))
    assert all((r, rule) in pairs for r, rule in zip(res.excluded["source_row"],
                                                        res.excluded["rule"]))
    funnel = res.funnel()
    assert funnel["excluded"].sum() + res.n_kept == n
    assert funnel["remaining"].iloc[-1] == res.n_kept
    assert (funnel["remaining"].diff().fillna(0) <= 0).all()
    assert len(res.flags) == res.n_kept
    # An excluded respondent was caught by an excluding rule; a kept one by none.
    hits = res.hits.set_axis(range(1, n + 1))
    for rule in res.hits.columns:
        if config_action(config, rule) == "exclude":
            assert set(hits.index[hits[rule]]) <= gone
    # Deterministic, input untouched, no personal data in any output.
    again = clean(frame)
    pd.testing.assert_frame_equal(res.data, again.data)
    pd.testing.assert_frame_equal(res.audit, again.audit)
    pd.testing.assert_frame_equal(res.excluded, again.excluded)
    pd.testing.assert_frame_equal(frame, before)
    dumped = res.data.to_csv() + res.audit.to_csv() + res.excluded.to_csv() + res.summary()
    assert not any(secret in dumped for secret in SECRETS)


def config_action(config: dict, rule: str) -> str | None:
    """The single action a rule ran with in ``config`` (None when mixed or not applicable)."""
    if rule == "speeder":
        return config["speeders"]["action"] if config["speeders"] else None
    if rule == "attention_check":
        return config["attention_checks"][0]["action"] if config["attention_checks"] else None
    if rule == "straightlining":
        return config["straightlining"][0]["action"] if config["straightlining"] else None
    if rule == "duplicate_answers":
        return config["duplicates"]["answers"]
    if rule == "duplicate_ip":
        return config["duplicates"]["ip"]
    if rule == "duplicate_id":
        return config["duplicates"]["ids"]
    return config["consistency"]
