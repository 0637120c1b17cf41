"""The seeded generator of the synthetic demo wave ``surveys/demo-2022``.

There is no public microdata behind the 2022 China Sustainable Consumption
Report, so the package ships a synthetic wave whose census-weighted
population shares equal the report's published figures::

    raw, truth = generate(seed=20221205, n=4000)    # export table + true parameters
    write_wave("surveys/demo-2022")                  # raw/, survey.yaml, targets.yaml, truth.yaml
    python -m analysis.synth surveys/demo-2022       # the same from the shell

Generative model (details and every number in ``truth.yaml``):

1. **Demographics.**  Panel members are drawn with biased margins (younger,
   more urban, more eastern than the census); province within region, city
   tier given province and residence, education given age and residence,
   and income (ordered logit) are the same in panel and population.
2. **Latent engagement** ``eta ~ N(alpha . x, 1)`` drives the answers.
3. **Answers.**  Multiple-choice options are independent logits given
   ``(x, eta)``; the attitude grid is ordered-logit in ``eta``; purchase in the
   last 12 months is a logit on *observed* quantities (attitude score,
   three barriers, sex, residence, education, income), so it can be
   recovered; premium WTP is a zero hurdle plus a log-normal; the
   second-hand ratio is a "never" hurdle plus a logit-normal; the payment
   card, the double-bounded bids and the ladder are read off these values.
4. **Calibration.**  Intercepts are solved so that expectations over the
   census population (exact: enumerated demographic cells and
   Gauss-Hermite quadrature over ``eta``) equal the published shares.
5. **Dirt and export.**  Speeders, failed attention checks, straight-liners,
   repeat submissions, shared IPs, out-of-range counts and personal data in
   open text are injected, and the table is written as a 问卷星 按选项文本
   CSV in GB18030.

Only ``Generator.random`` is drawn from (inverse CDFs do the rest) and the
calibrated values are rounded, so the committed raw file is reproduced byte
for byte by :func:`write_wave`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .._validation import as_rng
from . import spec as S
from .export import build_export, export_name, to_csv_bytes
from .model import (
    Params,
    calibrate,
    draw_answers,
    draw_demographics,
    population_cells,
    population_values,
    reduced_form,
)
from .psm import draw_vw
from .yaml_out import codebook_dict, dump_yaml, targets_dict

__all__ = ["generate", "write_wave", "params_from_truth", "main", "DEFAULT_SEED", "DEFAULT_N"]

DEFAULT_SEED = S.SEED
DEFAULT_N = S.N_ROWS
_HEADER = ("SYNTHETIC DATA written by analysis.synth (python -m analysis.synth surveys/demo-2022); "
           "do not edit by hand.")


def _round(value: Any, digits: int = 10) -> Any:
    """Round floats inside nested containers (readable, stable YAML)."""
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_round(v, digits) for v in value]
    if isinstance(value, (float, np.floating)):
        return round(float(value), digits)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _counts(n: int) -> dict[str, int]:
    """Dirt counts scaled from the per-4,000 spec (at least one of each)."""
    return {k: max(1, int(round(v * n / S.N_ROWS))) for k, v in S.DIRT.items()}


def params_from_truth(truth: dict[str, Any]) -> Params:
    """The calibrated intercepts stored in a ``truth`` mapping.

    Parameters
    ----------
    truth : dict
        The content of ``truth.yaml``.

    Returns
    -------
    Params
        Multiple-choice, WTP and second-hand intercepts and locations.
    """
    mc = truth["multiple_choice"]
    return Params(
        multi={q: {k: float(v["intercept"]) for k, v in opts.items() if k != "none"}
               for q, opts in mc.items()},
        wtp_zero_intercept=float(truth["wtp"]["zero_intercept"]),
        wtp_location=float(truth["wtp"]["location"]),
        never_intercept=float(truth["secondhand"]["never_intercept"]),
        ladder_location=float(truth["secondhand"]["location"]))


def _screening_expectations(raw: pd.DataFrame, dirt: Any, serial: np.ndarray, n: int,
                            grid: np.ndarray) -> dict[str, Any]:
    """What the codebook's screening rules should find in the raw file."""
    seconds = raw["所用时间"].str.removesuffix("秒").astype(float).to_numpy()
    median = float(np.median(seconds))
    cutoff = median / 3
    genuine = np.setdiff1d(np.arange(n), np.concatenate(
        [dirt.speeders, dirt.attention_failures, dirt.straightliners]))
    natural = genuine[(grid[genuine] == grid[genuine, :1]).all(axis=1)]
    ips = raw["来自IP"].str.replace(r"\(.*\)$", "", regex=True)
    shared = ips.duplicated(keep=False)
    return {
        "median_seconds": median, "speeder_cutoff_seconds": cutoff,
        "speeders_below_cutoff": int((seconds < cutoff).sum()),
        "genuine_min_seconds": float(S.DURATION["lower_fraction"] * S.DURATION["median"]),
        "natural_straightliners": int(len(natural)),
        "natural_straightliner_ids": sorted(int(serial[i]) for i in natural),
        "rows_sharing_an_ip": int(shared.sum()),
        "ip_groups": int(ips[shared].nunique()),
        "note": ("Counts the rules should reproduce on the raw file: speeders (1/3 of the median "
                 "duration), attention failures, straight-liners (injected + natural), repeat "
                 "submissions (later copy excluded by duplicate_answers) and shared IPs "
                 "(duplicates + NAT pairs, flagged)."),
    }


def generate(seed: int | np.random.Generator = DEFAULT_SEED, n: int = DEFAULT_N,
             ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Generate the demo wave.

    Parameters
    ----------
    seed : int or numpy.random.Generator, default ``DEFAULT_SEED``
        Seed of the only random stream used.
    n : int, default 4000
        Number of exported rows (submissions, repeat submissions included).

    Returns
    -------
    raw : pandas.DataFrame
        The 问卷星 按选项文本 table as exported (every cell a string).
    truth : dict
        True parameters, exact population values, injected dirt (counts and
        序号), and what screening should find; written to ``truth.yaml``.
    """
    if not isinstance(n, (int, np.integer)) or n < 200:
        raise ValueError(f"`n` must be an integer of at least 200, got {n!r}")
    rng = as_rng(seed)
    # The Van Westendorp block draws from a child stream: spawning consumes nothing from
    # `rng`, so every other answer (and the published shares) stays as without the block.
    vw_rng = rng.spawn(1)[0]
    counts = _counts(int(n))
    n_resp = int(n) - counts["duplicates"]
    cells = population_cells()
    params = calibrate(cells)
    demo = draw_demographics(rng, n_resp)
    ans = draw_answers(rng, demo, params)
    vw = draw_vw(vw_rng, demo, ans.eta)
    raw, dirt, serial = build_export(rng, demo, ans, counts, vw)
    pop = population_values(params, cells)
    truth = _truth(seed, int(n), n_resp, params, pop, dirt, serial, counts, raw, ans)
    truth["screening_expectations"] = _screening_expectations(raw, dirt, serial, n_resp,
                                                              ans.grid)
    truth["van_westendorp"] = _vw_truth(vw, dirt, serial)
    return raw, _round(truth)


def _vw_truth(vw: Any, dirt: Any, serial: np.ndarray) -> dict[str, Any]:
    """The Van Westendorp block's model and who answered it inconsistently."""
    careless = np.concatenate([dirt.speeders, dirt.attention_failures])
    genuine = np.setdiff1d(np.arange(len(vw.prices)), careless)
    swapped = genuine[vw.swapped[genuine] & (vw.prices[genuine, 1] != vw.prices[genuine, 2])]
    # Noise can also put neighbouring answers out of order (mostly expensive > too expensive).
    disordered = genuine[(np.diff(vw.prices[genuine], axis=1) < 0).any(axis=1)]
    return {
        "questions": dict(S.VW_QUESTIONS),
        "purchase_intent": {"cheap": "vw_intent_cheap", "expensive": "vw_intent_expensive",
                            "codes": {i: o[0] for i, o in enumerate(S.INTENT["options"], 1)},
                            "model": S.INTENT},
        "model": S.VW,
        "stream": "its own: Generator.spawn(1)[0] of the main generator (taken before any "
                  "draw), so the other answers are the same as without the block",
        "careless": "speeders and attention failures type log-uniform prices in "
                    "careless_range (unordered) and a uniform intent code",
        "genuine_swapped_cheap_expensive": _ids(serial, swapped),
        "genuine_inconsistent": _ids(serial, disordered),
    }


def _ids(serial: np.ndarray, rows: np.ndarray) -> list[int]:
    return sorted(int(serial[i]) for i in np.ravel(rows))


def _truth(seed: Any, n: int, n_resp: int, params: Params, pop: dict[str, Any], dirt: Any,
           serial: np.ndarray, counts: dict[str, int], raw: pd.DataFrame, ans: Any,
           ) -> dict[str, Any]:
    mc: dict[str, Any] = {}
    for qid, options in S.MULTI.items():
        mc[qid] = {key: {"intercept": params.multi[qid][key], "slopes": dict(spec[3]),
                         "population_share": pop[qid][key]}
                   for key, spec in options.items()}
        mc[qid]["none"] = {"population_share": pop[qid]["none"],
                           "rule": "chosen exactly when no other option is"}
    wtp_loc, _ = reduced_form(S.WTP["slopes"], S.WTP["eta_slope"])
    sh_loc, _ = reduced_form(S.SECONDHAND["slopes"], S.SECONDHAND["eta_slope"])
    n_dup = len(dirt.duplicates)
    return {
        "synthetic": True,
        "generator": {"module": "analysis.synth", "seed": seed if isinstance(seed, int) else None,
                      "rows": n, "respondents": n_resp, "repeat_submissions": n_dup,
                      "random_stream": "numpy PCG64 via Generator.random only"},
        "population": {
            "definition": "census population 18-69: sex, age band, region, residence independent "
                          "with the targets.yaml margins; province within region by census count",
            "margins": S.POPULATION},
        "panel": {"definition": "the online panel the sample is drawn from (same conditionals, "
                                "biased margins)", "margins": S.PANEL},
        "conditionals": {
            "city_tier_profiles_urban": {k: list(v) for k, v in S.TIER_PROFILES.items()},
            "province_profile": {p[0]: p[5] for p in S.PROVINCES},
            "rural_city_tier": "tier4_below",
            "education_by_age_band": {k: [list(r) for r in v]
                                      for k, v in S.EDUCATION_TABLE.items()},
            "income_ordered_logit": S.INCOME_MODEL},
        "features": {"order": list(S.FEATURES),
                     "definitions": {
                         "female": "sex == female", "age_c": f"age band -> {list(S.AGE_CENTRE)}",
                         "urban": "urban == urban", "edu_c": "education index (0..4) - 2",
                         "inc_c": "income index (0..4) - 2",
                         "tier_c": "2 - city_tier index (tier1 = 2 ... tier4_below = -2)",
                         "east": "region == east"}},
        "eta": {"mean_slopes": S.ETA_MEAN, "sd": 1.0},
        "published_targets": {f"{q}.{k}": v for (q, k), v in S.PUBLISHED.items()},
        "multiple_choice": mc,
        "attitudes": {key: {"reverse": rev, "eta_loading": lam, "cuts": list(cuts),
                            "population_distribution": pop["attitudes"][key]}
                      for key, (_, _, rev, lam, cuts) in S.GRID_ITEMS.items()},
        "attention_check": {"question": "attention", "correct_code": 4,
                            "genuine": "all genuine respondents answer correctly"},
        "purchase": {
            "model": "logit P(purchased == yes) = sum(coefficient * term)",
            "coefficients": S.PURCHASE,
            "terms": {"att_score_c": "attitudes_score - 3: mean of the 8 attitude items coded "
                                     "1..5, reverse items (hassle, gimmick) as 6 - code",
                      "barriers_*": "the multiple-choice option selected",
                      "female": "sex == female", "urban": "urban == urban",
                      "college": "education in {junior_college, bachelor, postgraduate}",
                      "high_income": "income in {inc_8k_12k, inc_12k_plus}"},
            "intercept_with_attitudes_score": S.PURCHASE["intercept"]
            - 3 * S.PURCHASE["att_score_c"],
            "by_level": {
                "note": "the same model with categorical terms (first level = reference); "
                        "attitudes_score = report.analysis_variables' grid score",
                "sex": {"male": 0.0, "female": S.PURCHASE["female"]},
                "urban": {"urban": S.PURCHASE["urban"], "rural": 0.0},
                "education": {k: (S.PURCHASE["college"] if i >= 2 else 0.0) for i, (k, _, _)
                              in enumerate(S.DEMOGRAPHIC_OPTIONS["education"])},
                "income": {k: (S.PURCHASE["high_income"] if i >= 3 else 0.0) for i, (k, _, _)
                           in enumerate(S.DEMOGRAPHIC_OPTIONS["income"])}},
            "population_share": pop["purchased"]},
        "purchase_count": {"model": "1 + Poisson(exp(log_mean + att_score_c * ... + inc_c * ...)"
                                    " * Gamma(shape, 1/shape)), capped at 100",
                           "parameters": S.COUNT_MODEL},
        "wtp": {
            "unit": "percent premium over the ordinary product",
            "zero_share_target": S.WTP["zero_share"],
            "zero_intercept": params.wtp_zero_intercept, "zero_slopes": S.WTP["zero_slopes"],
            "location": params.wtp_location, "slopes": S.WTP["slopes"],
            "eta_slope": S.WTP["eta_slope"], "sigma": S.WTP["sigma"],
            "reduced_form": {
                "note": "log WTP | payer, x ~ Normal(location + slopes . x, scale)",
                "slopes": dict(zip(S.FEATURES, wtp_loc.tolist())),
                "scale": pop["wtp"]["location_scale"]},
            "population": {k: v for k, v in pop["wtp"].items() if k != "location_scale"}},
        "premium_card": {"population_share": pop["premium_card"],
                         "rule": "bracket containing WTP; zero-WTP respondents choose none"},
        "premium_dc": {"bids": {float(b): list(v) for b, v in S.DC_BIDS.items()},
                       "assignment": "initial bid uniform over the four levels",
                       "rule": "yes iff WTP >= bid (no response error)",
                       "population_yes_at_initial_bid": pop["premium_dc_yes"]},
        "secondhand": {
            "convention": "highest_accepted: choosing 4折 means R in [0.4, 0.5)",
            "headline_definition": "share of ALL respondents (never-buyers in the denominator, "
                                   "not the numerator) choosing 1-2折, 3折 or 4折 = P(R < 0.5)",
            "never_share_target": S.SECONDHAND["never_share"],
            "never_intercept": params.never_intercept,
            "never_slopes": S.SECONDHAND["never_slopes"],
            "location": params.ladder_location, "slopes": S.SECONDHAND["slopes"],
            "eta_slope": S.SECONDHAND["eta_slope"], "sigma": S.SECONDHAND["sigma"],
            "reduced_form": {
                "note": "logit R | buyer, x ~ Normal(location + slopes . x, scale)",
                "slopes": dict(zip(S.FEATURES, sh_loc.tolist())),
                "scale": pop["secondhand_summary"]["location_scale"]},
            "population_share": pop["secondhand"],
            "population": {k: v for k, v in pop["secondhand_summary"].items()
                           if k != "location_scale"}},
        "dirt": {
            "counts": {"speeders": len(dirt.speeders),
                       "attention_failures": len(dirt.attention_failures),
                       "straightliners": len(dirt.straightliners),
                       "repeat_submissions": n_dup,
                       "shared_ip_pairs": len(dirt.shared_ip),
                       "out_of_range_counts": len(dirt.out_of_range),
                       "counts_typed_with_unit": len(dirt.count_with_unit),
                       "counts_not_a_number": len(dirt.count_not_a_number),
                       **{k: len(v) for k, v in dirt.pii.items()}},
            "ids": {"speeders": _ids(serial, dirt.speeders),
                    "attention_failures": _ids(serial, dirt.attention_failures),
                    "straightliners": _ids(serial, dirt.straightliners),
                    "repeat_submissions": sorted(int(s) for s in serial[n_resp:]),
                    "repeated_originals": _ids(serial, dirt.duplicates),
                    "shared_ip_pairs": [[int(serial[a]), int(serial[b])]
                                        for a, b in dirt.shared_ip],
                    "out_of_range_counts": _ids(serial, dirt.out_of_range),
                    "counts_not_a_number": _ids(serial, dirt.count_not_a_number),
                    **{k: _ids(serial, v) for k, v in dirt.pii.items()}},
            "pii_columns": {"pii_mobile": "suggestion", "pii_id_number": "suggestion",
                            "pii_wechat": "suggestion",
                            "pii_other_text_mobile": "barriers_other_text"},
            "careless_answers": "speeders and attention failures answer every non-demographic "
                                "question at random; straight-liners give one level to all 8 "
                                "attitude items and pass the attention check",
        },
    }


def write_wave(folder: str | Path, seed: int = DEFAULT_SEED, n: int = DEFAULT_N) -> Path:
    """Write ``raw/<export>.csv``, ``survey.yaml``, ``targets.yaml`` and ``truth.yaml``.

    Parameters
    ----------
    folder : str or Path
        The wave folder (created if needed).  Other exports in ``raw/`` are
        left alone; ``survey.yaml`` names the one written (``raw:``).
    seed : int
        Seed of the generator, as in :func:`generate`.
    n : int
        Number of respondents drawn, as in :func:`generate`.

    Returns
    -------
    Path
        The raw export written.
    """
    folder = Path(folder)
    raw, truth = generate(seed, n)
    name = export_name(len(raw), len(raw))
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    path = folder / "raw" / name
    path.write_bytes(to_csv_bytes(raw))
    header = _HEADER
    files = {
        "survey.yaml": dump_yaml(codebook_dict(name), header + "\nCodebook of the synthetic "
                                 "demo wave; see SOURCE.md and analysis/synth.py."),
        "targets.yaml": dump_yaml(targets_dict(), header + "\nCensus 2020 margins of adults "
                                  "18-69 (../shared/domain.md section 2.1)."),
        "truth.yaml": dump_yaml(truth, header + "\nTrue parameters and exact population values "
                                "of the synthetic demo wave."),
    }
    for fname, text in files.items():
        (folder / fname).write_bytes(text.encode("utf-8"))
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m analysis.synth [folder] [--seed S] [--n N]``.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments; default ``sys.argv[1:]``.

    Returns
    -------
    int
        Exit code (0).
    """
    parser = argparse.ArgumentParser(prog="python -m analysis.synth",
                                     description="Regenerate the synthetic demo wave.")
    parser.add_argument("folder", nargs="?", default="surveys/demo-2022")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--n", type=int, default=DEFAULT_N)
    args = parser.parse_args(argv)
    path = write_wave(args.folder, seed=args.seed, n=args.n)
    print(f"wrote {path}")
    return 0


