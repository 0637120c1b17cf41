"""Detect and redact personal data (PII) in free text.

The detectors follow ``../shared/domain.md`` section 6 and are reused by
:mod:`analysis.cleaning.cleaner` (to scrub answers) and by the report/export code (to
scan every output before it is written).

Text is NFKC-normalised first, so full-width digits (``１３８…``) and
full-width colons are found like their ASCII forms.  Every match is replaced
by a fixed tag in square brackets (one scheme, English, language neutral):

===============  ================  ==============================================
kind             tag               what is matched
===============  ================  ==============================================
``email``        ``[email]``       ``name@domain.tld``
``ip``           ``[ip]``          IPv4 dotted quads, IPv6 (validated)
``id_number``    ``[id_number]``   18-digit 居民身份证号 with a valid ISO 7064
                                   MOD 11-2 check character and birth date;
                                   15-digit legacy numbers with a valid date
``bank_card``    ``[bank_card]``   16-19 digits starting 3-6 that pass Luhn
``mobile``       ``[mobile]``      ``1[3-9]`` + 9 digits, optional ``+86`` /
                                   ``0086`` / ``86``, spaces or dashes allowed
                                   in the 3-4-4 grouping
``landline``     ``[landline]``    ``0`` + 2-3 digit area code + 7-8 digits, or
                                   7-8 digits after a cue (电话/座机/tel)
``wechat``       ``[wechat]``      a WeChat ID (letter + 5-19 of ``[-_A-Za-z0-9]``)
                                   only after a cue (微信/wechat/vx/wx/…);
                                   ``wxid_`` default ids without a cue
``qq``           ``[qq]``          5-11 digits after a cue (QQ/扣扣)
``postcode``     ``[postcode]``    6 digits after a cue (邮编/邮政编码)
===============  ================  ==============================================

Cue-based kinds keep the cue and replace only the identifier, so
``"微信 abc_123456"`` becomes ``"微信 [wechat]"``.  A Latin cue (``vx``,
``wx``, ``wechat``, ``qq``, ``tel``) counts only as a word of its own: it must
not be preceded by a letter, digit or ``_``, nor followed by a letter (or, for
WeChat, by a digit), so platform respondent ids such as the Qualtrics
``R_b7vxWfK9YNpnXTN`` are never read as "vx" + an ID.  Numbers that merely look
long (prices such as ``1999元``, year-months such as ``202301``) are left
alone: identity and card numbers must pass their checksums.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa  # type: ignore[import-untyped]  # no stubs; pyarrow is a dependency
import pyarrow.compute as pc  # type: ignore[import-untyped]

__all__ = [
    "PII_KINDS",
    "PII_LABELS",
    "PII_PATTERNS",
    "PII_TAGS",
    "PiiMatch",
    "contains_pii",
    "find_pii",
    "is_valid_id_number",
    "luhn_valid",
    "normalize_text",
    "pii_tag",
    "salted_hash",
    "scan_frame",
    "scrub_text",
]

# ---------------------------------------------------------------- checksums
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_SEPARATORS = re.compile(r"[\s\-]")


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_valid_id_number(value: str, *, legacy: bool = True) -> bool:
    """Whether ``value`` is a well-formed Chinese resident identity number.

    Parameters
    ----------
    value : str
        Candidate; NFKC-normalised, spaces/dashes removed, ``x`` upper-cased.
    legacy : bool, default True
        Also accept 15-digit first-generation numbers (no check digit; only
        the address-code region and the ``19YYMMDD`` birth date are checked).

    Returns
    -------
    bool
        For 18 characters: 17 digits + digit or ``X``, a real birth date in
        1800-2099, first digit 1-8 (region), and the ISO 7064 MOD 11-2 check
        character of GB 11643-1999 (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2,
        ``sum mod 11`` indexes ``"10X98765432"``).

    Examples
    --------
    >>> is_valid_id_number("11010519491231002X")
    True
    >>> is_valid_id_number("110105194912310021")
    False
    """
    s = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value))).upper()
    if len(s) == 18 and s[:17].isdigit() and (s[17].isdigit() or s[17] == "X"):
        if s[0] not in "12345678":
            return False
        year, month, day = int(s[6:10]), int(s[10:12]), int(s[12:14])
        if not (1800 <= year <= 2099 and _valid_date(year, month, day)):
            return False
        total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
        return _ID_CHECK[total % 11] == s[17]
    if legacy and len(s) == 15 and s.isdigit():
        return s[0] in "12345678" and _valid_date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))
    return False


def luhn_valid(value: str) -> bool:
    """Tell whether the digits of ``value`` pass the Luhn (mod 10) check.

    Separators (spaces, dashes) are ignored; anything else non-digit fails.

    Parameters
    ----------
    value : str
        A candidate card or account number.

    Returns
    -------
    bool
        False also for fewer than two digits.
    """
    s = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value)))
    if not s.isdigit() or len(s) < 2:
        return False
    digits = np.frombuffer(s.encode("ascii"), dtype=np.uint8)[::-1].astype(np.int64) - 48
    doubled = digits[1::2] * 2
    return int(digits[::2].sum() + (doubled - 9 * (doubled > 9)).sum()) % 10 == 0


def _valid_ipv6(value: str) -> bool:
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    # "::" or "1::2" are valid but far more likely a typo or a time than an address.
    return len(re.findall(r"[0-9A-Fa-f]+", value)) >= 3


# ---------------------------------------------------------------- patterns
_CUE_TAIL = r"\s*(?:号码?|id|ID)?\s*(?:[:=是为]|is)?\s*"
# Latin cues (vx, qq, tel, ...) must stand as words: inside a token such as the
# Qualtrics response id "R_b7vxWfK9YNpnXTN" two letters are no cue.  \b will not
# do: in Python regexes CJK characters are word characters too.
_START = r"(?<![A-Za-z0-9_])"
_END = r"(?![A-Za-z0-9_])"
_PATTERNS: dict[str, list[str]] = {
    "email": [r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"],
    "ip": [
        r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\.?\d)",
        r"(?<![0-9A-Fa-f:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])",
    ],
    "id_number": [
        r"(?<!\d)[1-8]\d{5}[ \-]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ \-]?\d{3}[\dXx](?!\d)",
        r"(?<!\d)[1-8]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?!\d)",
    ],
    "bank_card": [r"(?<!\d)[3-6]\d{3}(?:[ \-]?\d){12,15}(?!\d)"],
    "mobile": [r"(?<![\d+])(?:(?:\+|00)?86[ \-]?)?1[3-9]\d[ \-]?\d{4}[ \-]?\d{4}(?!\d)"],
    "landline": [
        r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[ \-]?[2-9]\d{2,3}[ \-]?\d{4}(?!\d)",
        r"(?i)(?:电话|座机|固话|" + _START + r"tel(?![A-Za-z_]))" + _CUE_TAIL
        + r"(?P<pii>[2-9]\d{6,7})(?!\d)",
    ],
    "wechat": [
        r"(?i)(?:微信号?|威信|薇信|" + _START + r"(?:v信|(?:weixin|wechat|vx|wx)(?:\s?id)?" + _END
        + r"))" + _CUE_TAIL + r"(?P<pii>[A-Za-z][\-_A-Za-z0-9]{5,19})(?![\-_A-Za-z0-9])",
        # WeChat's own default ids ("wxid_" + letters/digits) need no cue.
        r"(?i)" + _START + r"(?P<pii>wxid_[A-Za-z0-9]{4,30})" + _END,
    ],
    # "QQ123456789" (cue glued to the number) is common, so digits may follow the
    # cue directly, but cue and number must make up the whole token.
    "qq": [r"(?i)(?:扣扣|" + _START + r"qq(?![A-Za-z_]))" + _CUE_TAIL
           + r"(?P<pii>[1-9]\d{4,10})" + _END],
    "postcode": [r"(?:邮编|邮政编码)" + _CUE_TAIL + r"(?P<pii>\d{6})(?!\d)"],
}
_VALIDATORS: dict[str, Callable[[str], bool]] = {
    "id_number": is_valid_id_number,
    "bank_card": luhn_valid,
}

#: Kinds in the order they are applied: earlier kinds win overlaps.
PII_KINDS: tuple[str, ...] = tuple(_PATTERNS)
#: Compiled patterns per kind (cue-based ones mark the identifier as group ``pii``).
PII_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    kind: tuple(re.compile(p) for p in pats) for kind, pats in _PATTERNS.items()
}
#: Replacement tag per kind.
PII_TAGS: dict[str, str] = {kind: f"[{kind}]" for kind in PII_KINDS}
#: Readable names, used for masked audit values such as ``"[mobile number]"``.
PII_LABELS: dict[str, str] = {
    "email": "email address", "ip": "IP address", "id_number": "ID number",
    "bank_card": "bank card number", "mobile": "mobile number", "landline": "landline number",
    "wechat": "WeChat ID", "qq": "QQ number", "postcode": "postcode",
}


class PiiMatch(NamedTuple):
    """One detected item: its kind and ``(start, end)`` in the normalised text.

    Attributes
    ----------
    kind : str
        One of :data:`PII_KINDS`.
    span : tuple of int
        ``(start, end)`` offsets in ``normalize_text(text)``.
    """

    kind: str
    span: tuple[int, int]


def pii_tag(kind: str) -> str:
    """Return the replacement tag of ``kind`` (e.g. ``"[mobile]"``).

    Parameters
    ----------
    kind : str
        One of :data:`PII_KINDS`.

    Returns
    -------
    str
        The tag :func:`scrub_text` writes in place of the item.
    """
    return PII_TAGS[kind]


def normalize_text(text: str) -> str:
    """NFKC normalisation: full-width digits, letters and colons become ASCII.

    Parameters
    ----------
    text : str
        Free text.

    Returns
    -------
    str
        The normalised text (the string :func:`find_pii` spans index).
    """
    return unicodedata.normalize("NFKC", text)


def _value_span(kind: str, pattern: re.Pattern[str], m: re.Match[str]) -> tuple[int, int] | None:
    """Span of the identifier in ``m``, or ``None`` if it fails validation."""
    span = m.span("pii") if "pii" in pattern.groupindex else m.span()
    value = m.string[span[0]:span[1]]
    if kind == "ip" and ":" in value and not _valid_ipv6(value):
        return None
    validator = _VALIDATORS.get(kind)
    if validator is not None and not validator(value):
        return None
    return span


def _selected(kinds: tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if kinds is None:
        return PII_KINDS
    unknown = [k for k in kinds if k not in PII_PATTERNS]
    if unknown:
        raise ValueError(f"unknown PII kind(s) {unknown}; choose from {list(PII_KINDS)}")
    return tuple(k for k in PII_KINDS if k in kinds)


def find_pii(text: str, kinds: tuple[str, ...] | list[str] | None = None) -> list[PiiMatch]:
    """Find personal data in one string.

    Parameters
    ----------
    text : str
        Free text.
    kinds : sequence of str, optional
        Restrict to these kinds (default: all of :data:`PII_KINDS`).

    Returns
    -------
    list of PiiMatch
        ``(kind, (start, end))`` sorted by position.  Spans index
        ``normalize_text(text)``.  Kinds are applied in :data:`PII_KINDS`
        order and earlier kinds win overlaps, exactly as :func:`scrub_text`
        replaces them.

    Examples
    --------
    >>> find_pii("手机 138 1234 5678，邮箱 a@b.cn")
    [PiiMatch(kind='mobile', span=(3, 16)), PiiMatch(kind='email', span=(20, 26))]
    """
    if not isinstance(text, str) or not text:
        return []
    masked = normalize_text(text)
    found: list[PiiMatch] = []
    for kind in _selected(kinds):
        for pattern in PII_PATTERNS[kind]:
            spans = [sp for m in pattern.finditer(masked)
                     if (sp := _value_span(kind, pattern, m)) is not None]
            # Mask accepted spans so later patterns cannot re-match them (as scrub_text does).
            for s, e in spans:
                masked = masked[:s] + "\x00" * (e - s) + masked[e:]
            found.extend(PiiMatch(kind, sp) for sp in spans)
    return sorted(found, key=lambda m: m.span)


def contains_pii(text: str, kinds: tuple[str, ...] | list[str] | None = None) -> bool:
    """Tell whether :func:`find_pii` finds anything in ``text``.

    Parameters
    ----------
    text : str
        Free text.
    kinds : sequence of str, optional
        Restrict to these kinds (default: all of :data:`PII_KINDS`).

    Returns
    -------
    bool
        True when at least one item is found.
    """
    return bool(find_pii(text, kinds))


def _replacer(kind: str, pattern: re.Pattern[str]) -> Callable[[re.Match[str]], str]:
    tag = PII_TAGS[kind]

    def repl(m: re.Match[str]) -> str:
        span = _value_span(kind, pattern, m)
        if span is None:
            return m.group(0)
        s, e = span[0] - m.start(), span[1] - m.start()
        whole = m.group(0)
        return whole[:s] + tag + whole[e:]

    return repl


# A necessary condition for any pattern above to match, checked in Arrow (C) on every
# distinct text so that the Python regexes run only on the few texts that pass it:
# email needs "@", IPv4 "." and IPv6 ":"; every number kind without a cue needs a run
# of at least 10 digits, at most two of " -()" between two of them (landline
# "(0xx) xxx-xxxx", the shortest); every other kind needs a cue.
# Characters that Python's case-insensitive matching equates with a Latin cue letter
# (dotted/dotless i, long s, Kelvin sign) pass too.
_CUES = ("电话", "座机", "固话", "微信", "威信", "薇信", "扣扣", "邮编", "邮政编码",
         "tel", "vx", "wx", "qq", "v信", "weixin", "wechat")
# Case-sensitive (RE2 would fold K onto k); U+0307: the Arrow NFKC decomposes İ.
_MAYBE_CHARS = "[@:.\u0130\u0131\u017f\u212a\u0307]"
_MIN_DIGITS = 10
_DIGIT_RUN = r"\p{Nd}(?:[ \-()]{0,2}\p{Nd}){" + str(_MIN_DIGITS - 1) + "}"


def _maybe_pii(uniques: pd.Index | pd.api.extensions.ExtensionArray) -> np.ndarray:
    """Which distinct texts may hold personal data (False means none can match).

    ``pc.utf8_normalize`` with NFKC does the compatibility mapping (full-width
    ``＠``, ``１``) without recomposing accents: every ASCII character, digit and
    cue of the NFKC text is also in it, so the test only ever says True more often.
    """
    if not len(uniques):
        return np.zeros(0, dtype=bool)
    arr = pc.utf8_normalize(pa.array(pd.array(uniques, dtype="string[pyarrow]")), "NFKC")
    cue = pc.or_(pc.match_substring_regex(arr, "|".join(_CUES), ignore_case=True),
                 pc.match_substring_regex(arr, _MAYBE_CHARS))
    digits = pc.match_substring_regex(arr, _DIGIT_RUN)
    return np.asarray(pc.or_(cue, digits).fill_null(False), dtype=bool)


def scrub_text(series: pd.Series, kinds: tuple[str, ...] | list[str] | None = None,
               ) -> tuple[pd.Series, pd.DataFrame]:
    """Replace personal data in a column of free text by tags.

    Parameters
    ----------
    series : pandas.Series
        Text (non-string values are left untouched).
    kinds : sequence of str, optional
        Restrict to these kinds (default: all).

    Returns
    -------
    scrubbed : pandas.Series
        Same index; rows with findings are NFKC-normalised with each match
        replaced by its tag (:data:`PII_TAGS`); other rows are unchanged.
        String dtype.
    report : pandas.DataFrame
        One row per (row, kind) with findings: ``row`` (the index label),
        ``kind``, ``count``.  Never holds the matched values.

    Notes
    -----
    Each pattern is applied with :meth:`pandas.Series.str.replace`; the
    callback validates checksums (ID numbers, bank cards) and IPv6 syntax.
    """
    selected = _selected(kinds)
    text = series.astype("string")
    # Scan each distinct text once (answers and audit reasons repeat a lot), and run
    # the Python regexes only on those that pass the C-level test (ids, counts, ...
    # are millions of distinct texts that cannot hold any kind).
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    scan = np.flatnonzero(_maybe_pii(uniques))
    norm = pd.Series(uniques.take(scan), dtype="string").str.normalize("NFKC")
    out = norm
    for kind in selected:
        for pattern in PII_PATTERNS[kind]:
            out = out.str.replace(pattern, _replacer(kind, pattern), regex=True)
    changed_s = (out != norm).fillna(False).to_numpy(dtype=bool)
    changed_u = np.zeros(len(uniques), dtype=bool)
    changed_u[scan[changed_s]] = True
    new_u = np.empty(len(uniques), dtype=object)
    new_u[scan] = out.to_numpy(dtype=object)
    changed = np.zeros(len(text), dtype=bool)
    valid = codes >= 0
    changed[valid] = changed_u[codes[valid]]
    pos = np.flatnonzero(changed)
    scrubbed = text.copy() if len(pos) else text  # nothing found: no copy of the column
    if len(pos):
        scrubbed.iloc[pos] = new_u[codes[pos]]
    counts = np.zeros((len(pos), len(selected)), dtype="int64")
    if len(pos):
        before, after = norm[changed_s], out[changed_s]
        lookup = np.full(len(uniques), -1)
        lookup[np.flatnonzero(changed_u)] = np.arange(int(changed_u.sum()))
        for j, kind in enumerate(selected):
            tag = re.escape(PII_TAGS[kind])
            per_unique = (after.str.count(tag) - before.str.count(tag)).to_numpy(dtype="int64")
            counts[:, j] = per_unique[lookup[codes[pos]]]
    # np.nonzero walks row-major: rows in input order, kinds in PII_KINDS order.
    r, c = np.nonzero(counts > 0)
    report = pd.DataFrame({"row": series.index[pos[r]],
                           "kind": pd.Series(np.asarray(selected, dtype=object)[c], dtype=object),
                           "count": counts[r, c]})
    return scrubbed, report


def scan_frame(frame: pd.DataFrame, kinds: tuple[str, ...] | list[str] | None = None,
               columns: list[str] | None = None) -> pd.DataFrame:
    """Scan the text of a whole table (e.g. an output file) for personal data.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any table; object/string columns (and the column names) are scanned.
    kinds : sequence of str, optional
        Restrict to these kinds.
    columns : list of str, optional
        Scan only these columns (default: every object or string column).

    Returns
    -------
    pandas.DataFrame
        ``column``, ``row``, ``kind``, ``count`` for every finding (empty if
        clean); ``column`` is ``None`` for a finding in a column *name*.
    """
    parts: list[pd.DataFrame] = []
    names = pd.Series([str(c) for c in frame.columns], dtype="string")
    _, head = scrub_text(names, kinds)
    if len(head):
        parts.append(head.assign(column=None))
    cols = columns if columns is not None else [
        c for c in frame.columns
        if pd.api.types.is_object_dtype(frame[c]) or pd.api.types.is_string_dtype(frame[c])]
    for col in cols:
        _, rep = scrub_text(frame[col], kinds)
        if len(rep):
            parts.append(rep.assign(column=col))
    if not parts:
        return pd.DataFrame({"column": [], "row": [], "kind": [], "count": []}).astype(
            {"count": "int64"})
    return pd.concat(parts, ignore_index=True)[["column", "row", "kind", "count"]]


def salted_hash(series: pd.Series, salt: str, *, length: int = 16) -> pd.Series:
    """Pseudonymise values with HMAC-SHA256 keyed by ``salt``.

    Parameters
    ----------
    series : pandas.Series
        Values to hash (converted to ``str``; NA stays NA).
    salt : str
        Secret key; keep it out of the repository and outputs.
    length : int, default 16
        Hex characters kept (16 = 64 bits, ample for survey-sized joins).

    Returns
    -------
    pandas.Series
        String dtype, same index.  Equal inputs give equal hashes, so the
        result still works for duplicate checks and joins across files.
    """
    if not isinstance(salt, str) or not salt:
        raise ValueError("`salt` must be a non-empty string")
    key = salt.encode("utf-8")
    text = series.astype("string")
    uniques = pd.unique(text.dropna())
    # Hash each distinct value once: HMAC has no vectorised form.
    table = {v: hmac.new(key, str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:length]
             for v in uniques}
    return text.map(table, na_action="ignore").astype("string")
