"""The generative model of the demo wave: demographics, answers, calibration.

Two populations share every conditional distribution and answer model:

* the **census population** (adults 18-69): sex, age band, region and
  residence independent with the census margins of ``targets.yaml``,
  province within region in proportion to its census count;
* the **online panel** the sample is drawn from: the same structure with
  biased margins (``PANEL``), so raking on the four margins removes the bias.

Population quantities are exact expectations over the enumerated demographic
cells (about 7,000 with positive mass) and Gauss-Hermite quadrature over the
latent engagement ``eta``; calibrated intercepts are found by root-finding on
them.  Sampling uses only ``Generator.random`` (uniforms) and explicit inverse
CDFs, so the draws do not depend on numpy's distribution algorithms.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.polynomial.hermite_e import hermegauss
from scipy import optimize, special

from ..errors import SurveyError
from . import spec as S

__all__ = ["Demographics", "Params", "Answers", "population_cells", "calibrate",
           "draw_demographics", "draw_answers", "population_values", "features",
           "eta_mean", "income_probs", "attitude_score", "purchase_terms", "reduced_form"]

_ROUND = 10  # calibrated values are rounded so regeneration is bit-stable across platforms
_K = 40  # quadrature nodes for eta


@dataclass
class Demographics:
    """Integer codes (0-based option order) of the demographic questions.

    Attributes
    ----------
    sex : numpy.ndarray
        0 male, 1 female.
    age : numpy.ndarray
        Age band, 0 (18-24) to 5.
    region : numpy.ndarray
        0 east, 1 central, 2 west, 3 northeast.
    urban : numpy.ndarray
        1 urban, 0 rural (the reverse of the option order urban, rural).
    tier : numpy.ndarray
        City tier, 0 (tier 1) to 4.
    edu : numpy.ndarray
        Highest education, 0 (junior secondary or less) to 4.
    income : numpy.ndarray
        Monthly income band, 0 (under 3,000 yuan) to 4.
    province : numpy.ndarray or None
        Index into ``spec.PROVINCES``; None for population cells.
    weight : numpy.ndarray or None
        Population mass of each cell (:func:`population_cells` only).
    """

    sex: np.ndarray
    age: np.ndarray
    region: np.ndarray
    urban: np.ndarray  # 1 = urban, 0 = rural (option order is urban, rural)
    tier: np.ndarray
    edu: np.ndarray
    income: np.ndarray
    province: np.ndarray | None = None
    weight: np.ndarray | None = None  # population mass (cells only)

    def __len__(self) -> int:
        return len(self.sex)


def features(d: Demographics) -> np.ndarray:
    """Build the ``FEATURES`` matrix (n x 7) of the answer models.

    Parameters
    ----------
    d : Demographics
        The respondents or cells.

    Returns
    -------
    numpy.ndarray
        Columns female, centred age, urban, centred education, centred income,
        centred tier (higher = larger city) and east.
    """
    return np.column_stack([
        (d.sex == 1).astype(float), np.asarray(S.AGE_CENTRE)[d.age], d.urban.astype(float),
        d.edu - 2.0, d.income - 2.0, 2.0 - d.tier, (d.region == 0).astype(float)])


def _slopes(spec: dict[str, float]) -> np.ndarray:
    return np.array([spec.get(f, 0.0) for f in S.FEATURES])


def eta_mean(x: np.ndarray) -> np.ndarray:
    """Compute the mean of the latent engagement given the features.

    Parameters
    ----------
    x : numpy.ndarray
        Feature matrix (:func:`features`).

    Returns
    -------
    numpy.ndarray
        ``x @ ETA_MEAN`` slopes, one per row.
    """
    return x @ _slopes(S.ETA_MEAN)


# ---------------------------------------------------------------- demography
def _margin(name: str, table: dict[str, dict[str, float]]) -> np.ndarray:
    p = np.array(list(table[name].values()), dtype=float)
    return p / p.sum()


def _province_given_region() -> np.ndarray:
    """(4, 31) P(province | region) from the census counts."""
    out = np.zeros((4, len(S.PROVINCES)))
    for j, (_, _, region, count, _, _) in enumerate(S.PROVINCES):
        out[S.REGIONS.index(region), j] = count
    return out / out.sum(axis=1, keepdims=True)


def _tier_given_province() -> np.ndarray:
    """(31, 2, 5) P(tier | province, residence) with residence 0 = rural, 1 = urban."""
    out = np.zeros((len(S.PROVINCES), 2, 5))
    out[:, 0, 4] = 1.0
    for j, p in enumerate(S.PROVINCES):
        out[j, 1] = S.TIER_PROFILES[p[5]]
    return out


def _education_table() -> np.ndarray:
    """(6, 2, 5) P(education | age band, residence 0 rural / 1 urban)."""
    t = np.stack([np.array(S.EDUCATION_TABLE["rural"]), np.array(S.EDUCATION_TABLE["urban"])],
                 axis=1)
    return t / t.sum(axis=2, keepdims=True)


def income_probs(sex: np.ndarray, age: np.ndarray, urban: np.ndarray, tier: np.ndarray,
                 edu: np.ndarray) -> np.ndarray:
    """Compute the (n, 5) income-band probabilities of the ordered logit ``INCOME_MODEL``.

    Parameters
    ----------
    sex : numpy.ndarray
        Sex codes (1 = female).
    age : numpy.ndarray
        Age-band codes.
    urban : numpy.ndarray
        1 urban, 0 rural.
    tier : numpy.ndarray
        City-tier codes.
    edu : numpy.ndarray
        Education codes.

    Returns
    -------
    numpy.ndarray
        ``(n, 5)`` probabilities; rows sum to 1.
    """
    m = S.INCOME_MODEL
    s = (m["education"] * edu + m["urban"] * urban + m["tier_c"] * (2.0 - tier)
         + m["female"] * (sex == 1) + np.asarray(m["age"])[age])
    cdf = special.expit(np.asarray(m["cuts"])[None, :] - s[:, None])
    cdf = np.column_stack([np.zeros(len(s)), cdf, np.ones(len(s))])
    return np.diff(cdf, axis=1)


def population_cells() -> Demographics:
    """Enumerate every census-population cell (sex x age x region x residence x tier x edu x income).

    Returns
    -------
    Demographics
        The cells with positive mass, ``weight`` their population share.
    """
    grids = np.meshgrid(np.arange(2), np.arange(6), np.arange(4), np.arange(2), np.arange(5),
                        np.arange(5), indexing="ij")
    sex, age, region, urban, tier, edu = (g.ravel() for g in grids)
    p_sex, p_age = _margin("sex", S.POPULATION), _margin("age_band", S.POPULATION)
    p_reg = _margin("region", S.POPULATION)
    p_urb = _margin("urban", S.POPULATION)[::-1]  # index 1 = urban
    tier_reg = np.einsum("rp,pus->rus", _province_given_region(), _tier_given_province())
    w = (p_sex[sex] * p_age[age] * p_reg[region] * p_urb[urban] * tier_reg[region, urban, tier]
         * _education_table()[age, urban, edu])
    keep = w > 0
    sex, age, region, urban, tier, edu, w = (a[keep] for a in (sex, age, region, urban, tier,
                                                                 edu, w))
    inc = income_probs(sex, age, urban, tier, edu)  # (m, 5)
    rep = np.repeat(np.arange(len(w)), 5)
    income = np.tile(np.arange(5), len(w))
    weight = (w[:, None] * inc).ravel()
    return Demographics(sex[rep], age[rep], region[rep], urban[rep], tier[rep], edu[rep],
                        income, weight=weight)


def _categorical(u: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw: ``probs`` (k,) shared or (n, k) per row."""
    cdf = S.cumulative(np.asarray(probs, dtype=float))
    if cdf.ndim == 1:
        return np.searchsorted(cdf, u, side="right").clip(0, len(cdf) - 1)
    return (u[:, None] >= cdf).sum(axis=1).clip(0, cdf.shape[1] - 1)


def draw_demographics(rng: np.random.Generator, n: int) -> Demographics:
    """Draw ``n`` panel members (biased margins, census conditionals).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the uniforms.
    n : int
        Panel members drawn.

    Returns
    -------
    Demographics
        Codes with ``province`` set and no ``weight``.
    """
    u = rng.random((n, 8))
    sex = _categorical(u[:, 0], _margin("sex", S.PANEL))
    age = _categorical(u[:, 1], _margin("age_band", S.PANEL))
    region = _categorical(u[:, 2], _margin("region", S.PANEL))
    urban = 1 - _categorical(u[:, 3], _margin("urban", S.PANEL))
    province = _categorical(u[:, 4], _province_given_region()[region])
    tier = _categorical(u[:, 5], _tier_given_province()[province, urban])
    edu = _categorical(u[:, 6], _education_table()[age, urban])
    income = _categorical(u[:, 7], income_probs(sex, age, urban, tier, edu))
    return Demographics(sex, age, region, urban, tier, edu, income, province=province)


# ------------------------------------------------------------- calibration
@dataclass
class Params:
    """Calibrated intercepts (rounded) plus everything taken from the spec.

    Attributes
    ----------
    multi : dict of str to dict of str to float
        Intercept of each option's selection logit, per multiple-choice question
        and option key.
    wtp_zero_intercept : float
        Intercept of the logit of a zero premium.
    wtp_location : float
        Location of the log premium of the payers.
    never_intercept : float
        Intercept of the logit of never buying second-hand.
    ladder_location : float
        Location of the logit of the highest acceptable second-hand price ratio.
    """

    multi: dict[str, dict[str, float]] = field(default_factory=dict)
    wtp_zero_intercept: float = 0.0
    wtp_location: float = 0.0
    never_intercept: float = 0.0
    ladder_location: float = 0.0


def _nodes(k: int = _K) -> tuple[np.ndarray, np.ndarray]:
    x, w = hermegauss(k)
    return x, w / np.sqrt(2 * np.pi)


def _multi_lin(qid: str, key: str, x: np.ndarray, mu: np.ndarray) -> tuple[np.ndarray, float]:
    """Linear predictor without intercept at eta = mu, and the eta slope."""
    slopes = S.MULTI[qid][key][3]
    lam = slopes.get("eta", 0.0)
    return x @ _slopes(slopes) + lam * mu, lam


def _solve(f: Any, lo: float = -15.0, hi: float = 15.0) -> float:
    return round(float(optimize.brentq(f, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=200)), _ROUND)


def reduced_form(slopes: dict[str, float], eta_slope: float) -> tuple[np.ndarray, float]:
    """Compute the location slopes and eta slope after integrating out eta ~ N(alpha . x, 1).

    ``log WTP`` (or ``logit R``) ``= location + b . x + g * eta + sigma * e`` is, given
    ``x``, normal with slopes ``b + g * alpha`` and scale ``hypot(g, sigma)``.

    Parameters
    ----------
    slopes : dict of str to float
        Feature slopes ``b`` of the location.
    eta_slope : float
        Loading ``g`` on eta.

    Returns
    -------
    slopes : numpy.ndarray
        ``b + g * alpha``, in ``FEATURES`` order.
    eta_slope : float
        ``g`` unchanged (its contribution to the scale is ``hypot(g, sigma)``).
    """
    return _slopes(slopes) + eta_slope * _slopes(S.ETA_MEAN), eta_slope


def _cell_weights(cells: Demographics) -> np.ndarray:
    """The population mass of ``cells`` (population cells have it, drawn respondents not)."""
    if cells.weight is None:
        raise SurveyError("the demographics have no population weights: they are respondents",
                          hint="pass population_cells() (the default), not draw_demographics()")
    return cells.weight


def calibrate(cells: Demographics | None = None) -> Params:
    """Find the intercepts that make the census-population expectations hit their targets.

    Parameters
    ----------
    cells : Demographics, optional
        Population cells with weights; default :func:`population_cells`.

    Returns
    -------
    Params
        Intercepts and locations, rounded to 10 decimals so that regeneration is
        bit-stable across platforms.
    """
    cells = cells or population_cells()
    x, w = features(cells), _cell_weights(cells)
    mu = eta_mean(x)
    nu, nw = _nodes()
    params = Params()
    for qid, options in S.MULTI.items():
        params.multi[qid] = {}
        for key, (_, _, share, _) in options.items():
            lin, lam = _multi_lin(qid, key, x, mu)
            grid = lin[:, None] + lam * nu[None, :]

            def gap(a: float, grid: np.ndarray = grid, share: float = share) -> float:
                return float(w @ (special.expit(a + grid) @ nw)) - share / 100.0

            params.multi[qid][key] = _solve(gap)
    zs = x @ _slopes(S.WTP["zero_slopes"])
    params.wtp_zero_intercept = _solve(
        lambda a: float(w @ special.expit(a + zs)) - S.WTP["zero_share"])
    p0 = special.expit(params.wtp_zero_intercept + zs)
    loc_s, lam = reduced_form(S.WTP["slopes"], S.WTP["eta_slope"])
    scale = float(np.hypot(lam, S.WTP["sigma"]))
    pay = w * (1 - p0)
    target = np.log(S.WTP["median_payers"])
    params.wtp_location = _solve(lambda m: float(
        pay @ special.ndtr((target - m - x @ loc_s) / scale)) / pay.sum() - 0.5, -10, 10)
    ns = x @ _slopes(S.SECONDHAND["never_slopes"])
    params.never_intercept = _solve(
        lambda a: float(w @ special.expit(a + ns)) - S.SECONDHAND["never_share"])
    pn = special.expit(params.never_intercept + ns)
    loc_r, lam_r = reduced_form(S.SECONDHAND["slopes"], S.SECONDHAND["eta_slope"])
    scale_r = float(np.hypot(lam_r, S.SECONDHAND["sigma"]))
    buy = w * (1 - pn)
    params.ladder_location = _solve(lambda m: float(
        buy @ special.ndtr((0.0 - m - x @ loc_r) / scale_r)) - S.SECONDHAND["share_at_most_4"],
        -10, 10)
    return params


# ------------------------------------------------------------------ answers
@dataclass
class Answers:
    """Genuine answers in code space (0-based option indices unless noted).

    Attributes
    ----------
    eta : numpy.ndarray
        Latent green engagement.
    multi : dict of str to numpy.ndarray
        Per multiple-choice question, ``(n, k)`` booleans: the options, then a
        trailing "none of these" column.
    grid : numpy.ndarray
        ``(n, 8)`` attitude codes 1..5.
    purchased : numpy.ndarray
        Bought green products (bool).
    count : numpy.ndarray
        Purchases (int); 0 where not asked.
    wtp : numpy.ndarray
        Premium willing to pay, in percent; 0 for a zero premium.
    card : numpy.ndarray
        Payment-card option index of ``wtp``.
    bid1 : numpy.ndarray
        First bid of the double-bounded question, in percent.
    ans1 : numpy.ndarray
        Yes to the first bid (bool).
    bid2 : numpy.ndarray
        Follow-up bid: the higher one after a yes, the lower after a no.
    ans2 : numpy.ndarray
        Yes to the follow-up bid (bool).
    rung : numpy.ndarray
        Second-hand price ladder option index (the last is "never").
    ratio : numpy.ndarray
        Highest acceptable second-hand price as a share of new; NaN for never.
    """

    eta: np.ndarray
    multi: dict[str, np.ndarray]  # (n, k) bool incl. the trailing "none" column
    grid: np.ndarray  # (n, 8) codes 1..5
    purchased: np.ndarray  # bool
    count: np.ndarray  # int, 0 where not asked
    wtp: np.ndarray  # percent, 0 = zero WTP
    card: np.ndarray  # payment-card option index
    bid1: np.ndarray
    ans1: np.ndarray
    bid2: np.ndarray
    ans2: np.ndarray
    rung: np.ndarray  # ladder option index (last = never)
    ratio: np.ndarray  # maximum acceptable ratio (NaN for never)


def _cuts_cdf(eta: np.ndarray, loading: float, cuts: tuple[float, ...]) -> np.ndarray:
    """(..., 4) cumulative P(y <= k) of an ordered-logit item."""
    return special.expit(np.asarray(cuts) - loading * eta[..., None])


def attitude_score(grid: np.ndarray) -> np.ndarray:
    """Average the 8 items (reverse items as 6 - code).

    Parameters
    ----------
    grid : numpy.ndarray
        ``(n, 8)`` attitude codes 1..5.

    Returns
    -------
    numpy.ndarray
        Attitude score per respondent, 1..5.
    """
    rev = np.array([spec[2] for spec in S.GRID_ITEMS.values()])
    return np.where(rev, 6 - grid, grid).mean(axis=1)


def purchase_terms(d: Demographics, multi: dict[str, np.ndarray], att: np.ndarray,
                   ) -> np.ndarray:
    """Build the design matrix of the purchase logit, columns in ``PURCHASE`` order.

    Parameters
    ----------
    d : Demographics
        The respondents.
    multi : dict of str to numpy.ndarray
        Multiple-choice answers (``Answers.multi``); the barriers are used.
    att : numpy.ndarray
        Attitude scores (:func:`attitude_score`).

    Returns
    -------
    numpy.ndarray
        ``(n, len(PURCHASE))`` float matrix.
    """
    b = list(S.MULTI["barriers"])
    cols = {"intercept": np.ones(len(d)), "att_score_c": att - 3.0,
            "barriers_hard_to_identify": multi["barriers"][:, b.index("hard_to_identify")],
            "barriers_price_too_high": multi["barriers"][:, b.index("price_too_high")],
            "barriers_dont_know_where": multi["barriers"][:, b.index("dont_know_where")],
            "female": d.sex == 1, "urban": d.urban == 1, "college": d.edu >= 2,
            "high_income": d.income >= 3}
    return np.column_stack([np.asarray(cols[k], dtype=float) for k in S.PURCHASE])


def draw_answers(rng: np.random.Generator, d: Demographics, params: Params) -> Answers:
    """Draw every substantive answer of the genuine respondents.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of the uniforms.
    d : Demographics
        The respondents.
    params : Params
        Calibrated intercepts (:func:`calibrate`).

    Returns
    -------
    Answers
        One value (or row) per respondent of every answer.
    """
    n = len(d)
    x = features(d)
    eta = eta_mean(x) + special.ndtri(rng.random(n))
    multi = {}
    for qid, options in S.MULTI.items():
        u = rng.random((n, len(options)))
        sel = np.column_stack([
            u[:, j] < special.expit(params.multi[qid][key] + x @ _slopes(spec[3])
                                    + spec[3].get("eta", 0.0) * eta)
            for j, (key, spec) in enumerate(options.items())])
        multi[qid] = np.column_stack([sel, ~sel.any(axis=1)])
    u = rng.random((n, len(S.GRID_ITEMS)))
    grid = np.column_stack([1 + (u[:, i, None] >= _cuts_cdf(eta, spec[3], spec[4])).sum(axis=1)
                            for i, spec in enumerate(S.GRID_ITEMS.values())])
    att = attitude_score(grid)
    lin = purchase_terms(d, multi, att) @ np.array(list(S.PURCHASE.values()))
    purchased = rng.random(n) < special.expit(lin)
    cm = S.COUNT_MODEL
    u = rng.random((n, 2))
    gam = special.gammaincinv(cm["gamma_shape"], u[:, 0]) / cm["gamma_shape"]
    lam = np.exp(cm["log_mean"] + cm["att_score_c"] * (att - 3) + cm["inc_c"] * x[:, 4]) * gam
    count = np.where(purchased, 1 + _poisson_ppf(u[:, 1], lam), 0)
    count = np.minimum(count, cm["range"][1])
    u = rng.random((n, 3))
    zero = u[:, 0] < special.expit(params.wtp_zero_intercept + x @ _slopes(S.WTP["zero_slopes"]))
    logw = (params.wtp_location + x @ _slopes(S.WTP["slopes"]) + S.WTP["eta_slope"] * eta
            + S.WTP["sigma"] * special.ndtri(u[:, 1]))
    wtp = np.where(zero, 0.0, np.exp(logw))
    uppers = np.array([c[3][1] for c in S.PAYMENT_CARD[1:-1]])
    card = np.where(zero, 0, 1 + np.searchsorted(uppers, wtp, side="left"))
    bids = np.array(sorted(S.DC_BIDS))
    bid1 = bids[np.minimum((u[:, 2] * len(bids)).astype(int), len(bids) - 1)]
    ans1 = wtp >= bid1
    hi = np.array([S.DC_BIDS[b][0] for b in bids])[np.searchsorted(bids, bid1)]
    lo = np.array([S.DC_BIDS[b][1] for b in bids])[np.searchsorted(bids, bid1)]
    bid2 = np.where(ans1, hi, lo)
    ans2 = wtp >= bid2
    u = rng.random((n, 2))
    sh = S.SECONDHAND
    never = u[:, 0] < special.expit(params.never_intercept + x @ _slopes(sh["never_slopes"]))
    ratio = special.expit(params.ladder_location + x @ _slopes(sh["slopes"])
                          + sh["eta_slope"] * eta + sh["sigma"] * special.ndtri(u[:, 1]))
    lows = np.array([r[3] for r in S.LADDER[1:-1]])  # 0.3 .. 0.8
    rung = np.where(never, len(S.LADDER) - 1, np.searchsorted(lows, ratio, side="right"))
    return Answers(eta, multi, grid, purchased, count.astype(int), wtp, card, bid1, ans1, bid2,
                   ans2, rung, np.where(never, np.nan, ratio))


def _poisson_ppf(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson quantile by summing the pmf (vectorised; lam stays moderate)."""
    k = np.zeros(len(u), dtype=int)
    pmf = np.exp(-lam)
    cdf = pmf.copy()
    todo = u > cdf
    while todo.any() and k.max() < 1000:
        k = np.where(todo, k + 1, k)
        pmf = np.where(todo, pmf * lam / np.maximum(k, 1), pmf)
        cdf = np.where(todo, cdf + pmf, cdf)
        todo = u > cdf
    return k


# ------------------------------------------------------- population values
def population_values(params: Params, cells: Demographics | None = None) -> dict[str, Any]:
    """Compute the exact census-population expectations implied by the model.

    Parameters
    ----------
    params : Params
        Calibrated intercepts (:func:`calibrate`).
    cells : Demographics, optional
        Population cells with weights; default :func:`population_cells`.

    Returns
    -------
    dict
        Keyed by question: option shares of each multiple-choice question (with
        ``none``), level shares of each attitude item, the purchase share, the
        payment-card shares, premium summaries (``wtp``), yes-shares at each
        first bid, the second-hand ladder shares and their summary.
    """
    cells = cells or population_cells()
    x, w = features(cells), _cell_weights(cells)
    mu = eta_mean(x)
    nu, nw = _nodes()
    out: dict[str, Any] = {}
    probs: dict[str, dict[str, np.ndarray]] = {}
    for qid, options in S.MULTI.items():
        probs[qid] = {}
        for key in options:
            lin, lam = _multi_lin(qid, key, x, mu)
            probs[qid][key] = special.expit(params.multi[qid][key] + lin[:, None]
                                            + lam * nu[None, :])  # (c, k)
        none = np.prod([1 - p for p in probs[qid].values()], axis=0)
        out[qid] = {k: float(w @ (p @ nw)) for k, p in probs[qid].items()}
        out[qid]["none"] = float(w @ (none @ nw))
    eta = mu[:, None] + nu[None, :]
    items = {}
    for key, spec in S.GRID_ITEMS.items():
        cdf = _cuts_cdf(eta, spec[3], spec[4])
        p = np.diff(np.concatenate([np.zeros(eta.shape + (1,)), cdf, np.ones(eta.shape + (1,))],
                                   axis=-1), axis=-1)
        items[key] = np.einsum("c,k,ckj->j", w, nw, p)
    out["attitudes"] = {k: [float(v) for v in p] for k, p in items.items()}
    out["purchased"] = _purchase_share(cells, x, w, mu, params)
    zs = x @ _slopes(S.WTP["zero_slopes"])
    p0 = special.expit(params.wtp_zero_intercept + zs)
    loc_s, lam = reduced_form(S.WTP["slopes"], S.WTP["eta_slope"])
    scale = float(np.hypot(lam, S.WTP["sigma"]))
    loc = params.wtp_location + x @ loc_s

    def wtp_cdf(v: float) -> float:
        return float(w @ (p0 + (1 - p0) * special.ndtr((np.log(v) - loc) / scale)))

    cuts = [c[3][1] for c in S.PAYMENT_CARD[1:-1]]
    cdfs = [float(w @ p0)] + [wtp_cdf(c) for c in cuts] + [1.0]
    out["premium_card"] = {c[0]: cdfs[0] if i == 0 else cdfs[i] - cdfs[i - 1]
                           for i, c in enumerate(S.PAYMENT_CARD)}
    out["wtp"] = {"zero_share": float(w @ p0),
                  "median_all": float(optimize.brentq(lambda v: wtp_cdf(v) - 0.5, 1e-6, 1e3)),
                  "median_payers": float(np.exp(optimize.brentq(
                      lambda m: float((w * (1 - p0)) @ special.ndtr((m - loc) / scale))
                      / float(w @ (1 - p0)) - 0.5, -10, 10))),
                  "mean_all": float(w @ ((1 - p0) * np.exp(loc + scale ** 2 / 2))),
                  "share_at_most_10": wtp_cdf(10.0),
                  "location_scale": scale}
    out["premium_dc_yes"] = {float(b): 1 - wtp_cdf(b) for b in sorted(S.DC_BIDS)}
    ns = x @ _slopes(S.SECONDHAND["never_slopes"])
    pn = special.expit(params.never_intercept + ns)
    loc_r, lam_r = reduced_form(S.SECONDHAND["slopes"], S.SECONDHAND["eta_slope"])
    scale_r = float(np.hypot(lam_r, S.SECONDHAND["sigma"]))
    loc2 = params.ladder_location + x @ loc_r
    lows = [r[3] for r in S.LADDER[1:-1]]
    below = [0.0] + [float(w @ ((1 - pn) * special.ndtr((special.logit(v) - loc2) / scale_r)))
                     for v in lows] + [float(w @ (1 - pn))]
    ladder = {r[0]: below[i + 1] - below[i] for i, r in enumerate(S.LADDER[:-1])}
    ladder["never"] = float(w @ pn)
    out["secondhand"] = ladder
    at_most_4 = sum(ladder[k] for k in ("r1_2", "r3", "r4"))
    out["secondhand_summary"] = {
        "never_share": ladder["never"], "share_at_most_4_all": at_most_4,
        "share_at_most_4_buyers": at_most_4 / (1 - ladder["never"]),
        "location_scale": scale_r}
    return out


def _purchase_share(cells: Demographics, x: np.ndarray, w: np.ndarray, mu: np.ndarray,
                    params: Params, k: int = 12) -> float:
    """Exact P(purchased): sum-score distribution by convolution over the 8 items."""
    nu, nw = _nodes(k)
    eta = (mu[:, None] + nu[None, :]).ravel()  # (c * k,)
    # Sum-score axis first, so every convolution step works on contiguous rows.
    dist = np.zeros((41, eta.size))
    dist[0] = 1.0
    for spec in S.GRID_ITEMS.values():
        cdf = _cuts_cdf(eta, spec[3], spec[4]).T  # (4, c * k)
        p = np.diff(np.vstack([np.zeros(eta.size), cdf, np.ones(eta.size)]), axis=0)
        if spec[2]:
            p = p[::-1]  # reverse item: code c counts as 6 - c
        new = np.zeros_like(dist)
        for v in range(1, 6):
            new[v:] += dist[:-v] * p[v - 1]
        dist = new
    score = np.arange(41) / 8.0 - 3.0
    pb = []
    for key in ("hard_to_identify", "price_too_high", "dont_know_where"):
        lin, lam = _multi_lin("barriers", key, x, mu)
        pb.append(special.expit(params.multi["barriers"][key] + lin[:, None]
                                + lam * nu[None, :]).ravel())
    coef = S.PURCHASE
    base = (coef["intercept"] + coef["female"] * (cells.sex == 1) + coef["urban"] * cells.urban
            + coef["college"] * (cells.edu >= 2) + coef["high_income"] * (cells.income >= 3))
    base = np.repeat(base, k)
    total = np.zeros(eta.size)
    keys = ("barriers_hard_to_identify", "barriers_price_too_high", "barriers_dont_know_where")
    for combo in range(8):
        on = [(combo >> i) & 1 for i in range(3)]
        prob = np.ones(eta.size)
        shift = 0.0
        for i, key in enumerate(keys):
            prob = prob * (pb[i] if on[i] else 1 - pb[i])
            shift += on[i] * coef[key]
        curve = special.expit(base[None, :] + shift + coef["att_score_c"] * score[:, None])
        total += prob * np.einsum("sj,sj->j", dist, curve)
    return float(w @ (total.reshape(len(w), k) @ nw))
