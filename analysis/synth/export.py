"""Turn the demo wave's answers into a 问卷星 按选项文本 export, with realistic dirt.

The export imitates what an analyst downloads: metadata columns ``序号,
提交答卷时间, 所用时间, 来源, 来源详情, 来自IP``; one column per question
headed ``n、题干`` (the matrix as ``n、题干—行`` then ``n、行``); choices as
labels, multiple choices joined by ``┋``, other-specify text in ``〖〗``,
``(跳过)`` where routing skipped a question and ``(空)`` for an unanswered
optional question.  Strings are built per *distinct* answer pattern or with
vectorised concatenation, never row by row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SurveyError
from . import spec as S
from .model import Answers, Demographics
from .psm import VWAnswers

__all__ = ["META_COLUMNS", "Dirt", "build_export", "headers", "to_csv_bytes", "id_number",
           "export_name"]

META_COLUMNS = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP")
SKIP, BLANK, SEP = "(跳过)", "(空)", "┋"
_IP_FIRST = np.array([36, 39, 42, 58, 59, 60, 61, 101, 106, 110, 111, 112, 113, 114, 115, 116,
                      117, 119, 120, 121, 122, 123, 124, 125, 171, 175, 180, 182, 183, 202, 210,
                      211, 218, 219, 220, 221, 222, 223])
_HOURS = np.array([1.0, 0.5, 0.3, 0.2, 0.2, 0.4, 1.0, 2.0, 3.0, 3.5, 4.0, 4.0, 4.5, 4.0, 3.5,
                   3.5, 3.5, 4.0, 5.0, 6.0, 7.0, 7.0, 5.0, 2.5])
_MOBILE_PREFIX = np.array(["133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
                           "158", "159", "166", "176", "177", "180", "181", "186", "187", "188",
                           "189", "199"])
_AREA = ("110105", "120101", "130102", "140105", "150102", "210102", "220102", "230102",
         "310104", "320102", "330106", "340104", "350102", "360102", "370102", "410105",
         "420106", "430102", "440106", "450102", "460105", "500103", "510107", "520102",
         "530102", "540102", "610103", "620102", "630102", "640104", "650102")
_OTHER_TEXT = {"channels": ("短视频直播", "朋友圈广告", "小区电梯广告", "学校课程", "单位培训"),
               "products": ("家具", "自行车", "光伏板", "节能灯", "文具"),
               "barriers": ("没时间研究", "家里人不支持", "售后网点少", "外观不好看", "不了解")}
# np.where's filler for "no answer" (a 0-d object array: the stubs reject a bare None)
_NONE = np.array(None, dtype=object)
_JUNK = ("无", "1", "没有", "。", "随便")
SUGGESTIONS = (
    "希望低碳产品有统一、醒目的认证标识", "价格再便宜一些就好了", "多在社区做宣传",
    "电商平台可以设置低碳专区", "希望政府给予补贴", "以旧换新的活动可以多一些", "希望包装少一点",
    "公布产品的碳足迹", "加强监管，防止虚假宣传", "学校里多普及低碳知识",
    "新能源汽车充电桩再多一些", "希望有积分奖励", "产品质量要过硬", "多推出性价比高的低碳产品",
    "线下超市增加低碳产品的陈列", "希望有更多二手交易渠道", "快递包装能回收就好了",
    "节能家电补贴力度再大一些", "宣传要接地气，不要只喊口号", "希望能看到具体减少了多少碳排放",
    "农村地区也要多宣传", "希望标识更清楚，一眼能看出来", "建议和碳普惠积分打通",
    "企业要真正做到低碳，不要搞噱头", "多做一些公益广告", "希望有权威机构认证",
    "没什么建议，支持低碳", "很好", "暂无", "挺好的，继续加油", "无", "没有")
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])


@dataclass
class Dirt:
    """Which respondents got which dirt (positions in the respondent arrays).

    Attributes
    ----------
    speeders : numpy.ndarray
        Random answers and a duration far under the median.
    attention_failures : numpy.ndarray
        Random answers and a wrong answer to the attention check.
    straightliners : numpy.ndarray
        The same level on every grid item.
    duplicates : numpy.ndarray
        Respondents whose answers are submitted a second time (the repeats are
        the extra export rows).
    shared_ip : numpy.ndarray
        Pairs of respondents, shape ``(pairs, 2)``; the second of each pair gets
        the first's IP address.
    out_of_range : numpy.ndarray
        Buyers whose purchase count is replaced by an impossible value (999, 0,
        365, 1000).
    count_with_unit : numpy.ndarray
        Buyers whose purchase count is written with a unit (``3次``).
    count_not_a_number : numpy.ndarray
        Buyers whose purchase count reads ``记不清了``.
    pii : dict of str to numpy.ndarray
        Respondents who typed personal data: ``pii_mobile``, ``pii_id_number``
        and ``pii_wechat`` in the suggestion, ``pii_other_text_mobile`` in the
        barriers' other-specify text.
    """

    speeders: np.ndarray
    attention_failures: np.ndarray
    straightliners: np.ndarray
    duplicates: np.ndarray  # sources of the repeat submissions
    shared_ip: np.ndarray  # (pairs, 2)
    out_of_range: np.ndarray
    count_with_unit: np.ndarray
    count_not_a_number: np.ndarray
    pii: dict[str, np.ndarray] = field(default_factory=dict)


def headers() -> list[str]:
    """Build the export header row, in questionnaire order.

    Returns
    -------
    list of str
        :data:`META_COLUMNS`, then one header per question (``n、题干``), the
        attitude grid as ``n、题干—行`` followed by ``n、行``.
    """
    out = list(META_COLUMNS)
    for qid, (num, _, _, head) in S.QUESTIONS.items():
        if qid == "attitudes":
            zh = [spec[0] for spec in S.GRID_ITEMS.values()]
            out.append(f"{num}、{S.QUESTIONS[qid][1]}—{zh[0]}")
            out.extend(f"{num}、{label}" for label in zh[1:])
        else:
            out.append(head)
    return out


def export_name(total: int, valid: int) -> str:
    """Name the file as current 问卷星 downloads name it (CSV instead of .xlsx).

    Parameters
    ----------
    total : int
        Number of submissions.
    valid : int
        Number of valid submissions.

    Returns
    -------
    str
        ``<activity id>_按文本_<title>_<total>_<valid>.csv``.
    """
    return f"{S.ACTIVITY_ID}_按文本_{S.TITLE}_{total}_{valid}.csv"


def _labels(qid: str) -> np.ndarray:
    if qid == "province":
        return np.array([p[1] for p in S.PROVINCES], dtype=object)
    return np.array([o[1] for o in S.DEMOGRAPHIC_OPTIONS[qid]], dtype=object)


def _multi_labels(qid: str) -> list[str]:
    return [spec[0] for spec in S.MULTI[qid].values()] + [S.MULTI_NONE[qid][0]]


def _joined(sel: np.ndarray, labels: list[str], other: np.ndarray) -> np.ndarray:
    """``a┋b┋其他【请注明】〖text〗`` per row, built once per distinct selection pattern."""
    patterns, inverse = np.unique(sel, axis=0, return_inverse=True)
    text = np.array([SEP.join(lab for lab, on in zip(labels, row) if on) for row in patterns],
                    dtype=object)[inverse.ravel()]
    has = pd.notna(other)
    text[has] = text[has] + "〖" + other[has].astype(object) + "〗"
    return text


def _chars(u: np.ndarray, alphabet: str) -> np.ndarray:
    """Rows of random characters from ``alphabet`` as strings (vectorised via a view)."""
    chars = np.array(list(alphabet), dtype="<U1")[(u * len(alphabet)).astype(int)]
    return np.ascontiguousarray(chars).view(f"<U{u.shape[1]}").ravel().astype(object)


def _mobiles(rng: np.random.Generator, m: int) -> np.ndarray:
    u = rng.random((m, 9))
    return _MOBILE_PREFIX[(u[:, 0] * len(_MOBILE_PREFIX)).astype(int)].astype(object) + _chars(
        u[:, 1:], "0123456789")


def id_number(area: str, birth: str, seq: int) -> str:
    """Make an 18-digit 居民身份证号 with its ISO 7064 MOD 11-2 check character.

    Parameters
    ----------
    area : str
        Six-digit administrative area code.
    birth : str
        Birth date as ``YYYYMMDD``.
    seq : int
        Sequence number, written as three digits.

    Returns
    -------
    str
        The 17 digits and the check character (a digit or ``X``).
    """
    body = f"{area}{birth}{seq:03d}"
    total = int(np.dot(_ID_WEIGHTS, np.array([int(c) for c in body])))
    return body + "10X98765432"[total % 11]


def _provinces(demo: Demographics) -> np.ndarray:
    """The respondents' provinces (drawn respondents have them, population cells not)."""
    if demo.province is None:
        raise SurveyError("the demographics have no provinces: they are population cells",
                          hint="export respondents from draw_demographics, not population_cells")
    return demo.province


def _ids(rng: np.random.Generator, demo: Demographics, rows: np.ndarray) -> list[str]:
    """Valid ID numbers matching the respondents' province, age band and sex."""
    u = rng.random((len(rows), 4))
    lo = np.array([18, 25, 35, 45, 55, 65])[demo.age[rows]]
    span = np.array([7, 10, 10, 10, 10, 5])[demo.age[rows]]
    year = 2022 - (lo + (u[:, 0] * span).astype(int))
    month = 1 + (u[:, 1] * 12).astype(int)
    day = 1 + (u[:, 2] * 28).astype(int)
    seq = 2 * (u[:, 3] * 499).astype(int) + np.where(demo.sex[rows] == 0, 1, 2)
    return [id_number(_AREA[p], f"{y:04d}{mo:02d}{d:02d}", int(s)) for p, y, mo, d, s in
            zip(_provinces(demo)[rows], year, month, day, seq)]


def _ips(rng: np.random.Generator, province: np.ndarray) -> np.ndarray:
    """``a.b.c.d(省-市)``; the located province matches the answer for about 94%."""
    n = len(province)
    u = rng.random((n, 7))
    counts = np.array([p[3] for p in S.PROVINCES], dtype=float)
    other = np.searchsorted(S.cumulative(counts / counts.sum()), u[:, 1], side="right")
    located = np.where(u[:, 0] < 0.94, province, np.minimum(other, len(S.PROVINCES) - 1))
    ncity = np.array([len(p[4]) for p in S.PROVINCES])[located]
    city_i = (u[:, 2] * ncity).astype(int)
    cities = np.array([p[4][i] if i < len(p[4]) else "" for p in S.PROVINCES for i in range(4)],
                      dtype=object).reshape(len(S.PROVINCES), 4)
    first = _IP_FIRST[(u[:, 3] * len(_IP_FIRST)).astype(int)]
    octets = (u[:, 4:] * np.array([256, 256, 254])).astype(int) + np.array([0, 0, 1])
    ip = pd.Series(first).astype(str) + "." + pd.Series(octets[:, 0]).astype(str) + "." + \
        pd.Series(octets[:, 1]).astype(str) + "." + pd.Series(octets[:, 2]).astype(str)
    names = np.array([p[1] for p in S.PROVINCES], dtype=object)
    return (ip.to_numpy(dtype=object) + "(" + names[located] + "-" + cities[located, city_i]
            + ")")


def _durations(rng: np.random.Generator, n: int, scale: np.ndarray) -> np.ndarray:
    """Genuine completion times: log-normal truncated below, plus a slow tail (tab left open)."""
    from scipy import special

    d = S.DURATION
    u = rng.random((n, 3))
    a = special.ndtr(np.log(d["lower_fraction"]) / d["sigma"])
    z = special.ndtri(a + u[:, 0] * (1 - a))
    slow = np.where(u[:, 1] < d["slow_share"], 2 + 8 * u[:, 2], 1.0)
    return np.maximum(d["median"] * np.exp(d["sigma"] * z) * scale,
                      d["lower_fraction"] * d["median"]) * slow


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    """Submission times (seconds since the fieldwork start) with a daily rhythm."""
    start, end = (np.datetime64(s) for s in S.FIELDWORK)
    days = int((end - start) / np.timedelta64(1, "D")) + 1
    u = rng.random((n, 3))
    hour = np.searchsorted(S.cumulative(_HOURS / _HOURS.sum()), u[:, 1], side="right")
    return (u[:, 0] * days).astype(int) * 86400 + hour * 3600 + (u[:, 2] * 3600).astype(int)


def _careless(rng: np.random.Generator, rows: np.ndarray, codes: dict[str, np.ndarray],
              attention_wrong: bool) -> None:
    """Random answers (demographics kept) for speeders and attention failures."""
    m = len(rows)
    if m == 0:
        return
    u = rng.random((m, 40))
    col = iter(range(40))
    for qid in S.MULTI:
        k = len(S.MULTI[qid])
        sel = rng.random((m, k)) < 0.35
        codes[qid][rows] = np.column_stack([sel, ~sel.any(axis=1)])
        other = np.full(m, None, dtype=object)
        pick = np.array(_JUNK, dtype=object)[(u[:, next(col)] * len(_JUNK)).astype(int)]
        other[sel[:, k - 1]] = pick[sel[:, k - 1]]
        codes[f"{qid}_other"][rows] = other
    codes["grid"][rows] = 1 + (rng.random((m, len(S.GRID_ITEMS))) * 5).astype(int)
    a = u[:, next(col)]
    codes["attention"][rows] = (np.array([1, 2, 3, 5])[(a * 4).astype(int)] if attention_wrong
                                else 1 + (a * 5).astype(int))
    codes["purchased"][rows] = u[:, next(col)] < 0.5
    codes["count"][rows] = 1 + (u[:, next(col)] * 10).astype(int)
    codes["card"][rows] = (u[:, next(col)] * len(S.PAYMENT_CARD)).astype(int)
    bids = np.array(sorted(S.DC_BIDS))
    codes["bid1"][rows] = bids[(u[:, next(col)] * len(bids)).astype(int)]
    codes["ans1"][rows] = u[:, next(col)] < 0.5
    codes["ans2"][rows] = u[:, next(col)] < 0.5
    codes["rung"][rows] = (u[:, next(col)] * len(S.LADDER)).astype(int)
    text = np.array(_JUNK, dtype=object)[(u[:, next(col)] * len(_JUNK)).astype(int)]
    codes["suggestion"][rows] = np.where(u[:, next(col)] < 0.15, text, None)


def _slices(order: np.ndarray, sizes: dict[str, int]) -> dict[str, np.ndarray]:
    out, at = {}, 0
    for name, size in sizes.items():
        out[name] = np.sort(order[at:at + size])
        at += size
    return out


def _pick_text(u: np.ndarray, choices: tuple[str, ...]) -> np.ndarray:
    return np.array(choices, dtype=object)[(u * len(choices)).astype(int)]


def _pii_texts(rng: np.random.Generator, demo: Demographics, picks: dict[str, np.ndarray],
               ) -> dict[str, np.ndarray]:
    """Open-text answers carrying a mobile, an ID number or a WeChat ID."""
    texts: dict[str, np.ndarray] = {}
    m = len(picks["pii_mobile"])
    phones = _mobiles(rng, m)
    # People type numbers many ways: plain, spaced, dashed, full-width, with +86.
    styles = np.arange(m) % 5
    shown = phones.copy()
    shown[styles == 1] = [p[:3] + " " + p[3:7] + " " + p[7:] for p in phones[styles == 1]]
    shown[styles == 2] = [p[:3] + "-" + p[3:7] + "-" + p[7:] for p in phones[styles == 2]]
    shown[styles == 3] = [p.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
                          for p in phones[styles == 3]]
    shown[styles == 4] = "+86" + phones[styles == 4]
    lead = np.array(["有相关活动可以联系我", "我的电话", "中奖请打", "欢迎回访，手机"],
                    dtype=object)[np.arange(m) % 4]
    texts["pii_mobile"] = lead + shown
    ids = _ids(rng, demo, picks["pii_id_number"])
    lead = np.array(["身份证号", "", "参加抽奖用，身份证"], dtype=object)[
        np.arange(len(ids)) % 3]
    texts["pii_id_number"] = lead + np.array(ids, dtype=object)
    handles = ["green_life2022", "lvse_xiaozhu88", "tan_zhonghe01"][:len(picks["pii_wechat"])]
    texts["pii_wechat"] = np.array([f"可以加我微信 {h} 交流" for h in handles], dtype=object)
    other_phone = _mobiles(rng, len(picks["pii_other_text_mobile"]))
    texts["pii_other_text_mobile"] = "店员推销太烦，有事打" + other_phone
    return texts


def _vw_columns(vw: VWAnswers, careless: np.ndarray) -> dict[str, np.ndarray]:
    """Export columns of the Van Westendorp block (careless rows answer at random)."""
    prices, intent = vw.prices.copy(), vw.intent.copy()
    prices[careless], intent[careless] = vw.careless_prices[careless], vw.careless_intent[careless]
    cols = {qid: pd.Series(prices[:, j]).map(lambda v: f"{v:g}").to_numpy(dtype=object)
            for j, qid in enumerate(S.VW_QUESTIONS.values())}
    labels = np.array([o[1] for o in S.INTENT["options"]], dtype=object)
    cols["vw_intent_cheap"] = labels[intent[:, 0] - 1]
    cols["vw_intent_expensive"] = labels[intent[:, 1] - 1]
    return cols


def build_export(rng: np.random.Generator, demo: Demographics, ans: Answers,
                 counts: dict[str, int], vw: VWAnswers,
                 ) -> tuple[pd.DataFrame, Dirt, np.ndarray]:
    """The export table (strings) with dirt injected.

    Parameters
    ----------
    rng : numpy.random.Generator
        The main random stream (dirt, metadata).
    demo : Demographics
        The respondents.
    ans : Answers
        Their genuine answers.
    counts : dict
        Dirt counts.
    vw : VWAnswers
        The Van Westendorp block (drawn from its own stream); speeders and
        attention failures answer it at random like everything else.

    Returns
    -------
    table : DataFrame
        Columns :func:`headers`, one row per submission, sorted by submission time.
    dirt : Dirt
        Respondent positions that received each kind of dirt.
    serial : ndarray
        ``serial[i]`` is the 序号 of respondent ``i``; the repeat submissions of
        ``dirt.duplicates`` get ``serial[len(demo):]``.
    """
    n = len(demo)
    order = rng.random(n).argsort(kind="stable")
    careless = _slices(order, {k: counts[k] for k in
                               ("speeders", "attention_failures", "straightliners")})
    genuine = order[sum(len(v) for v in careless.values()):]
    picks = _slices(genuine, {"duplicates": counts["duplicates"],
                              "shared_ip": 2 * counts["shared_ip_pairs"],
                              "pii_mobile": counts["pii_mobile"],
                              "pii_id_number": counts["pii_id_number"],
                              "pii_wechat": counts["pii_wechat"],
                              "pii_other_text_mobile": counts["pii_other_text_mobile"]})
    taken = sum(len(v) for v in picks.values())
    rest = genuine[taken:]
    buyers = rest[ans.purchased[rest]]
    counted = _slices(buyers, {"out_of_range": counts["out_of_range_counts"],
                               "count_with_unit": counts["count_with_unit"],
                               "count_not_a_number": counts["count_not_a_number"]})

    u = rng.random((n, 8))
    codes: dict[str, np.ndarray] = {q: ans.multi[q].copy() for q in S.MULTI}
    for q in S.MULTI:
        k = len(S.MULTI[q])
        other = np.full(n, None, dtype=object)
        on = codes[q][:, k - 1]
        other[on] = _pick_text(u[on, 0], _OTHER_TEXT[q])
        codes[f"{q}_other"] = other
    codes.update(grid=ans.grid.copy(), attention=np.full(n, 4), purchased=ans.purchased.copy(),
                 count=ans.count.copy(), card=ans.card.copy(), bid1=ans.bid1.copy(),
                 ans1=ans.ans1.copy(), ans2=ans.ans2.copy(), rung=ans.rung.copy())
    codes["suggestion"] = np.where(u[:, 1] < 0.28, _pick_text(u[:, 2], SUGGESTIONS), _NONE)
    _careless(rng, careless["speeders"], codes, attention_wrong=False)
    _careless(rng, careless["attention_failures"], codes, attention_wrong=True)
    sl = careless["straightliners"]
    level = np.array([4, 4, 4, 3, 5])[(u[sl, 3] * 5).astype(int)]
    codes["grid"][sl] = level[:, None]
    texts = _pii_texts(rng, demo, picks)
    for kind in ("pii_mobile", "pii_id_number", "pii_wechat"):
        codes["suggestion"][picks[kind]] = texts[kind]
    po = picks["pii_other_text_mobile"]
    nb = len(S.MULTI["barriers"])
    codes["barriers"][po, nb - 1] = True
    codes["barriers"][po, nb] = False
    codes["barriers_other"][po] = texts["pii_other_text_mobile"]

    cols: dict[str, np.ndarray] = {}
    for q in ("sex", "age_band", "province", "urban", "city_tier", "education", "income"):
        idx = {"sex": demo.sex, "age_band": demo.age, "province": demo.province,
               "urban": 1 - demo.urban, "city_tier": demo.tier, "education": demo.edu,
               "income": demo.income}[q]
        cols[q] = _labels(q)[idx]
    for q in S.MULTI:
        cols[q] = _joined(codes[q], _multi_labels(q), codes[f"{q}_other"])
    likert = np.array([lab[0] for lab in S.LIKERT], dtype=object)
    for i, item in enumerate(S.GRID_ITEMS):
        cols[f"grid_{item}"] = likert[codes["grid"][:, i] - 1]
    cols["attention"] = likert[codes["attention"] - 1]
    cols["purchased"] = np.where(codes["purchased"], S.YES_NO[0][1], S.YES_NO[1][1])
    count = pd.Series(codes["count"]).astype(str).to_numpy(dtype=object)
    cu = counted["count_with_unit"]
    count[cu] = count[cu] + "次"
    bad = np.array(["999", "0", "365", "999", "1000"], dtype=object)
    count[counted["out_of_range"]] = bad[np.arange(len(counted["out_of_range"])) % len(bad)]
    count[counted["count_not_a_number"]] = "记不清了"
    cols["purchase_count"] = np.where(codes["purchased"], count, SKIP)
    cols["premium_card"] = np.array([c[1] for c in S.PAYMENT_CARD], dtype=object)[codes["card"]]
    bids = np.array(sorted(S.DC_BIDS))
    hi = np.array([S.DC_BIDS[b][0] for b in bids])[np.searchsorted(bids, codes["bid1"])]
    lo = np.array([S.DC_BIDS[b][1] for b in bids])[np.searchsorted(bids, codes["bid1"])]
    codes["bid2"] = np.where(codes["ans1"], hi, lo)
    cols["dc_bid"] = pd.Series(codes["bid1"]).map(lambda v: f"{v:g}").to_numpy(dtype=object)
    willing = np.array([S.WILLING[1][1], S.WILLING[0][1]], dtype=object)
    cols["dc_first"] = willing[codes["ans1"].astype(int)]
    cols["dc_followup"] = willing[codes["ans2"].astype(int)]
    cols["secondhand"] = np.array([r[1] for r in S.LADDER], dtype=object)[codes["rung"]]
    cols["suggestion"] = np.where(pd.isna(codes["suggestion"]), BLANK, codes["suggestion"])
    cols.update(_vw_columns(vw, np.concatenate([careless["speeders"],
                                                careless["attention_failures"]])))

    scale = np.ones(n)
    scale[careless["attention_failures"]] = 0.8
    scale[careless["straightliners"]] = 0.75
    duration = _durations(rng, n, scale)
    sp = careless["speeders"]
    lo_f, hi_f = S.DURATION["speeder_fraction"]
    duration[sp] = S.DURATION["median"] * (lo_f + (hi_f - lo_f) * rng.random(len(sp)))
    when = _times(rng, n)
    u = rng.random((n, 3))
    source = _pick_text(np.searchsorted([0.72, 0.90], u[:, 0], side="right") / 3 + 1e-9,
                        ("手机提交", "链接", "微信"))
    detail = np.where(u[:, 1] < 0.45, "微信", np.where(u[:, 1] < 0.85, "直接访问", _NONE))
    url = "https://mp.weixin.qq.com/s/" + _chars(
        rng.random((n, 22)), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    detail = np.where(pd.isna(detail), url, detail)
    ip = _ips(rng, _provinces(demo))
    pairs = picks["shared_ip"].reshape(2, -1).T
    ip[pairs[:, 1]] = ip[pairs[:, 0]]

    table = pd.DataFrame({"来源": source, "来源详情": detail, "来自IP": ip, **cols})
    dup = picks["duplicates"]
    repeat = table.iloc[dup].reset_index(drop=True)
    when = np.concatenate([when, when[dup] + 180 + (rng.random(len(dup)) * 2520).astype(int)])
    duration = np.concatenate([duration, _durations(rng, len(dup), np.ones(len(dup)))])
    table = pd.concat([table, repeat], ignore_index=True)
    sort = np.lexsort((np.arange(len(table)), when))
    serial = np.empty(len(table), dtype=int)
    serial[sort] = np.arange(1, len(table) + 1)
    start = pd.Timestamp(S.FIELDWORK[0])
    stamps = (start + pd.to_timedelta(when, unit="s")).strftime("%Y/%m/%d %H:%M:%S")
    table.insert(0, "序号", serial.astype(str))
    table.insert(1, "提交答卷时间", np.asarray(stamps, dtype=object))
    table.insert(2, "所用时间", pd.Series(np.round(duration).astype(int)).astype(str) + "秒")
    table = table.iloc[sort].reset_index(drop=True)
    table.columns = headers()
    dirt = Dirt(careless["speeders"], careless["attention_failures"], sl, dup, pairs,
                counted["out_of_range"], cu, counted["count_not_a_number"],
                pii={k: picks[k] for k in ("pii_mobile", "pii_id_number", "pii_wechat",
                                           "pii_other_text_mobile")})
    return table, dirt, serial


def to_csv_bytes(table: pd.DataFrame) -> bytes:
    """Write CSV text (header first, CRLF line ends, minimal quoting) encoded as GB18030.

    Parameters
    ----------
    table : pandas.DataFrame
        The export table (:func:`build_export`).

    Returns
    -------
    bytes
        The file's content.
    """
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(list(table.columns))
    writer.writerows(table.itertuples(index=False, name=None))
    return buf.getvalue().encode("gb18030")
