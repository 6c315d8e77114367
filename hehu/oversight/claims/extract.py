"""Proposing claims from a pasted work report (报告段落提取): each figure of each sentence with its
metric, place and period, for the user to confirm or correct before the figures are checked.

A figure is found and read by the one reader of numbers (`hehu.importing.cells.FIGURE_IN_TEXT`,
`read_figure`: 90, 1.8万, 两百余, 七成, 百分之九十, 90%); its metric by the words around it
(`vocab.METRIC_WORDS`); its place by the gazetteer names in the sentence (the county when none);
its period by the words of time ("2021年以来", "今年", "去年", "2022年1-6月", "上半年", "年均"),
relative to the report's date. Figures "to date" count to the day before the report's date: a
report dated 2022-11-11 speaks of the records up to 2022-11-10. Traditional script is read as
Simplified. Pure Python and pandas: the claims page and `hehu extract-claims` both call it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from hehu.clock import local_today
from hehu.errors import HehuError
from hehu.importing.cells import (
    CONTROL_CHARS,
    FIGURE_IN_TEXT,
    Figure,
    chinese_numeral,
    read_figure,
)
from hehu.oversight.claims.model import plain_number
from hehu.oversight.claims.reading import reads_as_percent
from hehu.records import vocab

# The claims file's columns (data/claims/lianshui_2022_report.csv), as `hehu check-claims` reads.
CLAIM_COLUMNS = ["文件", "指标", "地点", "起始日期", "截止日期", "数值", "容差", "原文"]
MAX_TEXT_BYTES = 1_000_000  # a work report's text is a few pages; more is not a pasted report
KINDS = {"total": ("合计", "total"), "average": ("年均", "yearly average")}
CONFIDENCES = {
    "high": ("较确定", "likely"),
    "medium": ("请核对", "check"),
    "low": ("未识别", "unknown"),
}

# Measure words a counted figure carries, longest first; "%" stands for 90%, 七成, 百分之九十.
UNITS = (
    "人次", "户次", "场次", "个", "场", "次", "期", "起", "件", "名", "人", "户", "家", "处",
    "所", "条", "节", "堂", "项", "对", "位",
)  # fmt: skip
_CLAUSE_SEP = "，,；;：:。！？!?\n"
_SEGMENT_SEP = _CLAUSE_SEP + "、"
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")
_FILLER = re.compile(r"(?:达到|达|为|共计|共|约|近|累计|总计|合计|计|逾|超过|[”“\"'》《」「])+$")
_AFTER_APPROX = re.compile(r"^(以上|左右|余|多)")
_AVERAGE = re.compile(r"年均|每年|平均每年|年平均")
_ROOT_WORDS = re.compile(r"[全本我]县|县(?:妇联|人大|委|政府|检察院|法院|司法局|教体局|公安局)")
_PLACE_SUFFIXES = ("村", "社区", "镇", "乡", "街道", "县")
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")


# --------------------------------------------------------------------------- text in


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    """The text in Simplified script, with full-width digits, points and percent signs folded."""
    return _converter().convert(text).translate(_FULL_WIDTH)


def report_text(data: bytes, name: str = "") -> str:
    """A report's bytes as text (UTF-8 with or without BOM, or GB18030); HehuError when the file
    is empty, too large, or not text."""
    shown = Path(name).name or "文件"
    if len(data) > MAX_TEXT_BYTES:
        raise HehuError(
            f"{shown} 过大（{len(data) / 1e6:.1f} MB，上限 1 MB）：请只放入报告的正文段落",
            f"{shown} is too large ({len(data) / 1e6:.1f} MB, at most 1 MB): give the report's text",
        )
    if not data.strip():
        raise HehuError(f"{shown} 是空的：没有可提取的报告文字", f"{shown} is empty")
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is not None and encoding == "gb18030" and _odd_share(text) > 0.1:
        # GB18030 reads almost any bytes: a Big5 file comes out as rare characters, half of
        # them outside the common set a report is written in (a real report: none).
        raise HehuError(
            f"{shown} 的编码无法识别（读出大量生僻字，可能是 Big5）：请另存为 UTF-8 编码的 .txt",
            f"{shown}: unknown encoding (perhaps Big5): save it as UTF-8 text",
        )
    controls = len(CONTROL_CHARS.findall(text)) if text is not None else 0
    if text is None or b"\x00" in data or controls > max(2, len(text) // 100):
        raise HehuError(
            f"{shown} 不是文本文件（请另存为 UTF-8 或 GB18030 编码的 .txt）",
            f"{shown} is not a text file (save it as UTF-8 or GB18030 text)",
        )
    return text


def _odd_share(text: str) -> float:
    """The share of a text's Chinese characters that, in Simplified script, lie outside GB2312
    (the 6763 common characters); 0 for fewer than 20 Chinese characters."""
    chinese = [c for c in simplified(text) if "\u3400" <= c <= "\u9fff" or c == "\ufffd"]
    if len(chinese) < 20:
        return 0.0
    odd = 0
    for char in chinese:
        try:
            char.encode("gb2312")
        except UnicodeEncodeError:
            odd += 1
    return odd / len(chinese)


def read_report_file(path: str | Path) -> str:
    """The text of a report file (see `report_text`), checked for size before it is read."""
    path = Path(path)
    if not path.is_file():
        raise HehuError(f"找不到报告文件：{path}", f"report file not found: {path}")
    if path.stat().st_size > MAX_TEXT_BYTES:
        return report_text(b"x" * (MAX_TEXT_BYTES + 1), path.name)
    return report_text(path.read_bytes(), path.name)


_DATED = re.compile(r"(\d{4})(?:-|年)(\d{1,2})(?:-|月)(\d{1,2})")


_SENTENCE_MARKS = re.compile(r"[，,。；;！!？?]")


def report_date_in(text: str) -> dt.date | None:
    """The date a report gives in a header line of its first five (a title, a dateline, a news
    page's '2022-11-11 11:17:57 来源：…'), if any. A line with a sentence's punctuation is the
    body: "2022年5月18日，县人大常委会…组织调研。" tells when something happened, not the date."""
    for line in simplified(text).splitlines()[:5]:
        if _SENTENCE_MARKS.search(line):
            continue
        if match := _DATED.search(line):
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                continue
    return None


# --------------------------------------------------------------------------- the proposals


@dataclass(frozen=True)
class ProposedClaim:
    """A figure of the report read as a claim, for the user to confirm or correct."""

    value: float  # a rate as a fraction: 七成 is 0.7
    unit: str  # the measure word: 场, 人次, 户 ... or "%"
    written: str  # the figure as the report writes it: "1.8万人次"
    metric: str | None  # None: no metric of the vocabulary fits the words around it
    place_code: str
    start: dt.date
    end: dt.date
    kind: str  # "total" over start..end, or "average" a year over the calendar years of it
    sentence: str
    why: str  # how metric, place and period were read, in Chinese
    confidence: str = "high"  # high, medium (check it), low (no metric)
    tolerance: float = 0.0  # half the last written place of a rounded figure (1.8万 → 500)
    hedge: str = ""  # "more" (90余, 超过90: value 95 ± 5), "less" (近50: 45 ± 5), "about" (约)

    def periods(self) -> list[tuple[dt.date, dt.date]]:
        """The periods checked: the whole span, or each calendar year of it for an average."""
        if self.kind != "average":
            return [(self.start, self.end)]
        return [
            (dt.date(year, 1, 1), dt.date(year, 12, 31))
            for year in range(self.start.year, self.end.year + 1)
        ]

    def as_dict(self) -> dict:
        """The proposal as plain JSON-ready values."""
        return {
            "figure": self.written,
            "value": plain_number(self.value),
            "unit": self.unit,
            "metric": self.metric,
            "metric_name": vocab.label(vocab.METRICS, self.metric) if self.metric else None,
            "place": self.place_code,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "kind": self.kind,
            "tolerance": plain_number(self.tolerance),
            "hedge": self.hedge,
            "confidence": self.confidence,
            "why": self.why,
            "sentence": self.sentence,
        }


@dataclass
class _Span:
    """A period written in the text: its days, its words and where they stand in the sentence."""

    start: dt.date
    end: dt.date
    words: str
    pos: int = 0
    since: bool = False  # "…以来": the period the report as a whole speaks of


@dataclass
class _Context:
    """What a paragraph has said so far: the report's date, its period and place."""

    report_date: dt.date
    places: _PlaceIndex
    default: _Span
    period: _Span | None = None
    place: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def to_date(self) -> dt.date:
        return self.report_date - dt.timedelta(days=1)


def extract_claims(
    text: str, places: pd.DataFrame, report_date: dt.date | None = None
) -> list[ProposedClaim]:
    """Every figure of a report's text as a proposed claim, in the order of the text.

    `places` is the gazetteer (records.places: code, name, short_name, parent_code); the report
    date, when not given, is the one its first lines give, else today on the county's clock.
    """
    text = simplified(text)
    report_date = report_date or report_date_in(text) or local_today()
    index = _PlaceIndex.of(places)
    context = _Context(report_date, index, _Span(report_date, report_date, ""))
    context.default = _document_period(text, context)
    proposals: list[ProposedClaim] = []
    for paragraph in text.splitlines():
        context.period, context.place = None, None
        for sentence in _SENTENCE_END.split(paragraph.strip()):
            if sentence.strip():
                proposals.extend(_sentence_claims(sentence.strip(), context))
    return proposals


def _document_period(text: str, context: _Context) -> _Span:
    """The period a report speaks of where a sentence says none: its first "…以来", else the
    report's year to date."""
    for paragraph in text.splitlines():
        for span in _periods_in(paragraph, context):
            if span.since:
                return span
    year_start = dt.date(context.report_date.year, 1, 1)
    return _Span(year_start, max(year_start, context.to_date), "未写明期间，按报告年度")


def _sentence_claims(sentence: str, context: _Context) -> list[ProposedClaim]:
    spans = _periods_in(sentence, context)
    mentions = context.places.mentions(sentence)
    masked = [(s.pos, s.pos + len(s.words)) for s in spans] + [(m[0], m[1]) for m in mentions]
    proposals = []
    found_all = [
        (match, found)
        for match in FIGURE_IN_TEXT.finditer(sentence)
        if (found := _figure_at(sentence, match, masked)) is not None
    ]
    respective = _respective_periods(sentence, spans, [m.start() for m, _ in found_all])
    for match, found in found_all:
        figure, unit, unit_end, written = found
        metric, why_metric, confidence = _metric_of(sentence, match.start(), unit_end, unit)
        place, why_place = _place_of(match.start(), mentions, context)
        if match.start() in respective:
            period = respective[match.start()]
            why_period = f"期间：“{period.words}”（“分别”依次对应）"
        else:
            period, why_period = _period_of(match.start(), spans, context)
        average = bool(_AVERAGE.search(sentence[: match.start()]))
        is_rate = metric is not None and vocab.METRICS[metric][2] == "rate"
        value, tolerance = claim_figure(figure, is_rate)
        times, sign = (100, "%") if figure.percent or is_rate else (1, "")
        why_hedge = _HEDGE_WHY.get(figure.hedge, "").format(
            written=written,
            value=f"{plain_number(round(value * times, 6))}{sign}",
            tolerance=f"{plain_number(round(tolerance * times, 6))}{sign}",
        )
        proposals.append(
            ProposedClaim(
                value=value,
                unit=unit,
                written=written,
                metric=metric,
                place_code=place,
                start=period.start,
                end=period.end,
                kind="average" if average else "total",
                sentence=sentence,
                why="；".join(
                    [why_metric, why_place, why_period]
                    + (["年均：按年逐年核对"] if average else [])
                    + ([why_hedge] if why_hedge else [])
                ),
                confidence=confidence if metric else "low",
                tolerance=tolerance,
                hedge=figure.hedge,
            )
        )
    if dated := [s for s in spans if s.start is not None]:
        context.period = dated[-1]
    if mentions:
        context.place = mentions[-1][2]
    return proposals


_HEDGE_WHY = {
    "more": "“{written}”是“多于”：按 {value} ± {tolerance} 核对",
    "less": "“{written}”是“不足”：按 {value} ± {tolerance} 核对",
}


def claim_figure(figure: Figure, is_rate: bool = False) -> tuple[float, float]:
    """A claim's value and tolerance from a figure as written (a rate as a fraction).

    A rounded figure is checked to half its last written place (1.8万: 18000 ± 500; 约8000:
    8000 ± 500). "More than" (90余, 超过90, 90%以上) is the half step above (95 ± 5: 90 to 100);
    "just under" (近50, 将近50) the half step below (45 ± 5: 40 to 50). For a rate, 95% and a
    bare 95 are 0.95 (`reading.reads_as_percent`, the claims file's rule)."""
    value, step = figure.value, figure.step
    if is_rate and reads_as_percent(value, figure.percent, is_rate) or figure.percent:
        value, step = value / 100, step / 100
    half = step / 2
    if figure.hedge == "more":
        value += half
    elif figure.hedge == "less":
        value -= half
    return round(value, 9), round(half, 9) if figure.rounded else 0.0


# Words before a figure in its clause that make it a comparison, not a claim of the period.
_DIFFERENCE = re.compile(
    r"同比|环比|相比|[比较](?:去年|上年|前年|上半年|同期|\d{4}年)|(?:增长|增加|减少|下降|上升|提高|降低|"
    r"增幅|降幅)(?:了|达|为)?$"
)


def _clause_before(sentence: str, start: int) -> str:
    return sentence[max(sentence.rfind(ch, 0, start) for ch in _CLAUSE_SEP) + 1 : start]


def _figure_at(sentence: str, match: re.Match, masked):
    """The figure of a number match and its unit, or None when it is no counted figure (a date,
    a name, "一站式", "千家万户", a number with no measure word)."""
    start, end = match.span()
    number = match["num"]
    if any(a < end and start < b for a, b in masked):
        return None
    before, after = sentence[start - 1 : start], sentence[end : end + 1]
    if before == "第" or re.match(r"[0-9A-Za-z.·]", before) or re.match(r"[0-9.·]", after):
        return None
    bare = not number[0].isdigit() and not number.startswith("百分之") and number in "一十百千万亿"
    if bare and not (number in "百千万" and (match["pre"] or match["approx"])):
        return None  # 一站式, 千家万户; but 百余人次 and 近百户 are figures (more than / under 100)
    if _DIFFERENCE.search(_clause_before(sentence, start)):
        return None  # 比去年减少10起, 较2021年的80起, 同比增长15%: a difference or a past figure
    if match["pct"] or number.startswith("百分之"):
        unit, unit_end = "%", end
    else:
        unit = next((u for u in UNITS if sentence.startswith(u, end)), None)
        if unit is None:
            return None
        unit_end = end + len(unit)
    tail = _AFTER_APPROX.match(sentence[unit_end:])
    written = sentence[start:unit_end] + (tail.group(0) if tail else "")
    try:
        figure = read_figure(match.group(0) + (tail.group(0) if tail else ""), hedged=True)
    except ValueError:
        return None
    return figure, unit, unit_end, written


# --------------------------------------------------------------------------- metric


@lru_cache(maxsize=1)
def _metric_rules() -> list[tuple[str, set[str], tuple[str, ...], tuple[str, ...], tuple]]:
    def words(text: str) -> tuple[str, ...]:
        return tuple(w for w in text.split("|") if w)

    return [
        (metric, set(words(units)), words(nouns), words(cues), words(not_cues))
        for metric, units, nouns, cues, not_cues in vocab.METRIC_WORDS
    ]


def _bounds(sentence: str, start: int, end: int, separators: str) -> tuple[int, int]:
    left = max(sentence.rfind(ch, 0, start) for ch in separators) + 1
    rights = [i for i in (sentence.find(ch, end) for ch in separators) if i >= 0]
    return left, min(rights, default=len(sentence))


def _metric_of(sentence: str, start: int, end: int, unit: str) -> tuple[str | None, str, str]:
    """The metric a figure counts, the words that said so, and how sure that is."""
    seg_left, seg_right = _bounds(sentence, start, end, _SEGMENT_SEP)
    clause_left, clause_right = _bounds(sentence, start, end, _CLAUSE_SEP)
    before = _FILLER.sub("", sentence[seg_left:start])
    after = sentence[end:seg_right][:8]
    clause, earlier = sentence[clause_left:clause_right], sentence[:start]

    def next_to(noun: str) -> bool:
        return noun in after or before.endswith(noun)

    passes = (  # (nouns next to the figure?, where the cues may stand, confidence)
        (True, clause, "high"),
        (True, earlier + sentence[start:clause_right], "medium"),
        (False, clause, "medium"),
    )
    for adjacent, cue_text, confidence in passes:
        for metric, units, nouns, cues, not_cues in _metric_rules():
            if unit not in units or any(w in clause for w in not_cues):
                continue
            noun = next((n for n in nouns if (next_to(n) if adjacent else n in sentence)), None)
            cue = next((c for c in cues if c in cue_text), None)
            if (noun or not nouns) and (cue or not cues):
                said = "、".join(f"“{w}”" for w in (unit, noun, cue) if w)
                return metric, f"指标：{vocab.label(vocab.METRICS, metric)}（据{said}）", confidence
    return None, f"指标：未能识别（单位“{unit}”），请选择", "low"


# --------------------------------------------------------------------------- place


@dataclass
class _PlaceIndex:
    """The gazetteer's names, longest first, each with the codes it may stand for."""

    names: list[tuple[str, list[str]]]
    parents: dict[str, str]
    root: str
    labels: dict[str, str] = field(default_factory=dict)
    pattern: re.Pattern | None = None  # every name, longest first: one scan a sentence

    def __post_init__(self):
        if self.names and self.pattern is None:
            self.pattern = re.compile("|".join(re.escape(name) for name, _ in self.names))

    def label(self, code: str) -> str:
        """A place's name as people write it (the code when unknown)."""
        return self.labels.get(code, code)

    @classmethod
    def of(cls, places: pd.DataFrame) -> _PlaceIndex:
        codes = set(places["code"].astype(str))
        parents = {
            str(c): str(p) for c, p in zip(places["code"], places["parent_code"], strict=True)
        }
        roots = [c for c in parents if parents[c] not in codes]
        by_name: dict[str, set[str]] = {}
        for code, name, short in zip(
            places["code"], places["name"], places["short_name"], strict=True
        ):
            for text in {str(name), str(short)}:
                if len(text) >= 3 and text.endswith(_PLACE_SUFFIXES):
                    by_name.setdefault(text, set()).add(str(code))
        names = sorted(((n, sorted(c)) for n, c in by_name.items()), key=lambda x: -len(x[0]))
        labels = dict(zip(places["code"].astype(str), places["name"].astype(str), strict=True))
        return cls(names, parents, roots[0] if roots else "", labels)

    def mentions(self, sentence: str) -> list[tuple[int, int, str]]:
        """Places named in a sentence: (start, end, code), in order; "全县" is the county."""
        found: list[tuple[int, int, list[str]]] = []
        if self.pattern is not None:
            codes_of = dict(self.names)
            found = [
                (m.start(), m.end(), codes_of[m.group(0)]) for m in self.pattern.finditer(sentence)
            ]
        for match in _ROOT_WORDS.finditer(sentence):
            if not any(a < match.end() and match.start() < b for a, b, _ in found):
                found.append((match.start(), match.end(), [self.root]))
        found.sort()
        named = {c for _, _, codes in found if len(codes) == 1 for c in codes}
        out = []
        for start, end, codes in found:
            # A village name two towns share: the one under a town the sentence names.
            fitting = [c for c in codes if len(codes) == 1 or self.parents.get(c) in named]
            if len(fitting) == 1:
                out.append((start, end, fitting[0]))
        return out


def _place_of(start: int, mentions, context: _Context) -> tuple[str, str]:
    earlier = [m for m in mentions if m[0] < start]
    if earlier:
        code = earlier[-1][2]
        return code, f"地点：{context.places.label(code)}（句中所写）"
    if context.place:
        return context.place, f"地点：{context.places.label(context.place)}（沿用上文）"
    return context.places.root, "地点：全县（未写明）"


# --------------------------------------------------------------------------- period


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _year_or(text: str | None, context: _Context) -> int:
    return int(text) if text else context.report_date.year


_CN_SMALL = {"一": 1, "二": 2, "三": 3, "四": 4}


def _quarter(m, c):
    last = 3 * (_CN_SMALL.get(m[2]) or int(m[2]))
    return dt.date(_year_or(m[1], c), last - 2, 1), _month_end(_year_or(m[1], c), last)


def _first_quarters(m, c):
    last = 3 * (_CN_SMALL.get(m[2]) or (2 if m[2] == "两" else int(m[2])))
    return dt.date(_year_or(m[1], c), 1, 1), _month_end(_year_or(m[1], c), last)


def _first_months(m, c):
    months = int(m[2]) if m[2].isdigit() else chinese_numeral(m[2].replace("两", "二"))
    return dt.date(_year_or(m[1], c), 1, 1), _month_end(_year_or(m[1], c), months)


def _recent_years(m, c):
    years = {"两": 2, "二": 2, "三": 3, "四": 4, "五": 5}.get(m[1]) or int(m[1])
    return dt.date(c.report_date.year - years + 1, 1, 1), c.to_date


def _since(m, c):
    return dt.date(int(m[1]), int(m[2] or 1), 1), c.to_date


def _period_patterns():
    """(pattern, days) in order of precedence; days None only masks (a date is no period)."""
    y = r"(?:(\d{4})年)?"
    return [
        # 截至…日 before the dates are masked: "截至2022年10月31日" is the year up to that day.
        (
            r"截至" + y + r"(\d{1,2})月(底|末|\d{1,2}日)",
            lambda m, c: (
                dt.date(_year_or(m[1], c), 1, 1),
                _month_end(_year_or(m[1], c), int(m[2]))
                if m[3] in ("底", "末")
                else dt.date(_year_or(m[1], c), int(m[2]), int(m[3][:-1])),
            ),
        ),
        (r"\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{1,2}-\d{1,2}|(?<!\d)\d{1,2}月\d{1,2}日", None),
        (r"(?:自|从)?(\d{4})年(?:(\d{1,2})月(?:份)?)?(?:以来|至今)", _since),
        (
            r"(\d{4})年?\s*[-—–~至到]+\s*(\d{4})年",
            lambda m, c: (dt.date(int(m[1]), 1, 1), dt.date(int(m[2]), 12, 31)),
        ),
        (
            y + r"(\d{1,2})月?\s*[-—–~至到]+\s*(\d{1,2})月(?:份)?",
            lambda m, c: (
                dt.date(_year_or(m[1], c), int(m[2]), 1),
                _month_end(_year_or(m[1], c), int(m[3])),
            ),
        ),
        (
            y + r"([上下])半年",
            lambda m, c: (
                dt.date(_year_or(m[1], c), 1 if m[2] == "上" else 7, 1),
                _month_end(_year_or(m[1], c), 6 if m[2] == "上" else 12),
            ),
        ),
        (y + r"前([一二三两1-3])(?:个)?季度", _first_quarters),
        (y + r"前(\d{1,2}|[一二两三四五六七八九十]{1,2})个月", _first_months),
        (y + r"第?([一二三四1-4])季度", _quarter),
        (r"近([两二三四五2-5])年(?:来|以来)?", _recent_years),
        (r"“?十四五”?(?:以来|期间)", lambda m, c: (dt.date(2021, 1, 1), c.to_date)),
        (r"(\d{4})年(?:度)?全年", lambda m, c: _whole_year(int(m[1]))),
        (r"今年(?:以来)?", lambda m, c: (dt.date(c.report_date.year, 1, 1), c.to_date)),
        (r"去年|上一年", lambda m, c: _whole_year(c.report_date.year - 1)),
        (r"前年", lambda m, c: _whole_year(c.report_date.year - 2)),
        (r"全年", lambda m, c: _whole_year(c.report_date.year)),
        (r"(\d{4})年(?:度|全年|底|末)?(?!\d{1,2}月)", lambda m, c: _whole_year(int(m[1]))),
    ]


def _whole_year(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


_PERIODS = [(re.compile(p), days) for p, days in _period_patterns()]


def _periods_in(sentence: str, context: _Context) -> list[_Span]:
    """The periods a sentence writes, in order (dates are masked, never periods)."""
    taken: list[_Span] = []
    for pattern, days in _PERIODS:
        for match in pattern.finditer(sentence):
            if any(s.pos < match.end() and match.start() < s.pos + len(s.words) for s in taken):
                continue
            try:
                start, end = days(match, context) if days else (None, None)
            except ValueError:  # 13月, 2月30日: not a period
                continue
            since = days in (_since, _recent_years) or "以来" in match.group(0)
            taken.append(_Span(start, end, match.group(0), match.start(), since))
    return sorted(taken, key=lambda s: s.pos)


_JOINED = re.compile(r"^[和、与及,，]$")


def _respective_periods(sentence: str, spans: list[_Span], starts: list[int]) -> dict[int, _Span]:
    """ "2021年和2022年，分别开展…200场、210场": each figure after 分别 with its period, in order,
    when the periods joined by 和/、/与/及 before it are as many as those figures."""
    where = sentence.find("分别")
    if where < 0:
        return {}
    group: list[_Span] = []
    for span in [s for s in spans if s.start is not None and s.pos < where]:
        gap = sentence[group[-1].pos + len(group[-1].words) : span.pos] if group else ""
        group = [*group, span] if group and _JOINED.match(gap) else [span]
    after = [p for p in starts if p > where]
    if len(group) < 2 or len(after) != len(group):
        return {}
    return dict(zip(after, group, strict=True))


def _period_of(start: int, spans: list[_Span], context: _Context) -> tuple[_Span, str]:
    earlier = [s for s in spans if s.pos < start and s.start is not None]
    if earlier:
        return earlier[-1], f"期间：“{earlier[-1].words}”"
    if context.period is not None and context.period.start is not None:
        return context.period, f"期间：“{context.period.words}”（沿用上文）"
    default = context.default
    if default.since:
        return default, f"期间：“{default.words}”（沿用全文）"
    return default, f"期间：{default.words}"


# --------------------------------------------------------------------------- the claims file


def claims_table(proposals: list[ProposedClaim], document: str = "") -> pd.DataFrame:
    """Proposals as rows of a claims file (the columns `hehu check-claims` reads), an average
    as one row a year; figures with no metric are left out (the user has to choose one)."""
    rows = []
    for claim in proposals:
        if claim.metric is None:
            continue
        is_rate = vocab.METRICS[claim.metric][2] == "rate"
        value = f"{plain_number(claim.value * 100)}%" if is_rate else plain_number(claim.value)
        for start, end in claim.periods():
            rows.append(
                {
                    "文件": document,
                    "指标": claim.metric,
                    "地点": claim.place_code,
                    "起始日期": start.isoformat(),
                    "截止日期": end.isoformat(),
                    "数值": str(value),
                    "容差": str(plain_number(claim.tolerance)),
                    "原文": claim.sentence,
                }
            )
    return pd.DataFrame(rows, columns=CLAIM_COLUMNS)
