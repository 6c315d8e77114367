"""The figure check (报告数据核对): the figures a work report states, recomputed from the records.

A claims file (CSV or xlsx, Chinese or English headers) holds one figure per row: the document it
comes from, the metric (a key of `vocab.METRICS` or its Chinese label), the place (a code or an
unambiguous name), the period, the claimed value and a tolerance. Each claim gets one status:

- ``matched``: the records give exactly the claimed value;
- ``within_tolerance``: they differ by no more than the tolerance;
- ``not_supported``: they differ by more;
- ``no_records``: no records of that kind exist for the place and period, so nothing can be said;
- ``invalid``: the row itself cannot be read (unknown metric or place, bad period or number);
  reported per row in Chinese, never as a crash.

Values may be written as in a report: ``90``, ``18,000``, ``1.8万``, ``90起``; rates as ``0.95``
or ``95%``. A tolerance written ``5%`` means 5 % of the claimed value (for a rate: 5 percentage
points). `records_behind` gives the aggregated records a computed value rests on.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from . import vocab
from .disclosure import is_hidden, sees_exact_counts
from .errors import BadDate, HehuError
from .figures import period_choice_key
from .gazetteer import DATA_DIR, descendants
from .metrics import (
    Period,
    Records,
    active_pairings,
    high_risk_without_follow_up,
    is_must_visit,
    metrics_by_place,
)
from .place_figures import disclosed_place_figures
from .tracking import child_codes, own_row_code

EXAMPLE_CLAIMS = DATA_DIR / "claims" / "lianshui_2022_report.csv"

STATUSES: dict[str, tuple[str, str]] = {
    "matched": ("相符", "matched"),
    "within_tolerance": ("在容差内", "within tolerance"),
    "not_supported": ("记录不支持", "not supported by the records"),
    "no_records": ("无相关记录", "no records"),
    "invalid": ("文件有误", "error in the file"),
    "not_disclosed": ("涉及少数人员，不予公开", "a count of few people: not shown"),
}

# Canonical column -> the headers accepted for it (compared after `_header_key`).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "claim_id": ("claim_id", "id", "编号", "序号"),
    "document": (
        "document",
        "doc",
        "report",
        "文件",
        "文件名称",
        "报告",
        "报告名称",
        "文档",
        "来源文件",
    ),
    "metric": ("metric", "指标", "指标名称", "指标代码"),
    "place": ("place", "place_code", "地点", "地点代码", "地区", "地点名称"),
    "period": ("period", "期间", "时期", "统计期间"),
    "period_start": ("period_start", "start", "起始日期", "开始日期", "起始", "期间起"),
    "period_end": ("period_end", "end", "截止日期", "结束日期", "截止", "期间止"),
    "value": ("value", "claimed", "数值", "报告数值", "声称数值", "数据"),
    "tolerance": ("tolerance", "容差", "允许误差", "误差"),
    "note": ("note", "source", "原文", "备注", "说明", "出处"),
}
REQUIRED_COLUMNS = ("metric", "place", "value")
_COLUMN_ZH = {"metric": "指标", "place": "地点", "value": "数值", "period": "期间"}

# Metrics whose drill-down columns count people, cases or households: small cells are hidden
# from deputies and presenters. Sessions, attendances (人次) and places are not people.
PEOPLE_COLUMNS = ("cases", "resolved", "children", "households", "visits", "pairings", "lapsed",
                  "must_visit", "visited", "screened", "high_risk", "unfollowed")  # fmt: skip

# Labels of the drill-down columns (zh, en).
BEHIND_COLUMNS: dict[str, tuple[str, str]] = {
    "month": ("月份", "month"),
    "area": ("地区", "area"),
    "org": ("组织", "organisation"),
    "orgs": ("结对组织", "pairing organisations"),
    "unit": ("单位", "unit"),
    "campaign": ("活动", "campaign"),
    "format": ("形式", "format"),
    "kind": ("类型", "kind"),
    "place": ("地点", "place"),
    "cases": ("接访事项", "cases"),
    "resolved": ("化解或转介", "resolved or referred"),
    "events": ("场次", "events"),
    "audience": ("受众人次", "audience"),
    "sessions": ("场次", "sessions"),
    "attendance": ("受教育人次", "attendance"),
    "children": ("儿童数", "children"),
    "households": ("家庭数", "households"),
    "visits": ("走访次数", "visits"),
    "pairings": ("结对数", "pairings"),
    "lapsed": ("逾期未联系", "lapsed"),
    "must_visit": ("必访家庭", "must-visit households"),
    "visited": ("已走访", "visited"),
    "screened": ("排查家庭", "households screened"),
    "high_risk": ("高风险", "high risk"),
    "unfollowed": ("高风险未跟进", "high risk, no follow-up"),
    "text": ("意见建议", "recommendation"),
    "due_date": ("办理期限", "due"),
    "status": ("状态", "status"),
}


class ClaimRowError(HehuError):
    """A row of a claims file that cannot be checked (the message says why, in Chinese)."""


@dataclass(frozen=True)
class Claim:
    """One figure from a report: a metric's claimed value for a place and period."""

    row: int
    document: str
    metric: str
    place_code: str
    period: Period
    value: float
    tolerance: float = 0.0
    note: str = ""
    claim_id: str = ""


@dataclass
class ClaimResult:
    """The check of one claim (or, with status 'invalid', why its row could not be checked)."""

    row: int
    document: str
    metric: str
    place_code: str
    place_name: str
    period_start: str
    period_end: str
    claimed: float | None
    tolerance: float
    computed: float | None
    status: str
    error: str = ""
    note: str = ""
    claim: Claim | None = field(default=None, repr=False)

    @property
    def difference(self) -> float | None:
        """Computed minus claimed, when both exist."""
        if self.claimed is None or self.computed is None or isinstance(self.computed, str):
            return None  # none, or hidden from this role
        return _plain_number(self.computed - self.claimed)

    def as_dict(self) -> dict:
        """The result as plain JSON-ready values."""
        out = {
            "row": self.row,
            "document": self.document,
            "metric": self.metric,
            "place": self.place_code,
            "place_name": self.place_name,
            "period": f"{self.period_start}..{self.period_end}"
            if self.period_start or self.period_end
            else "",
            "claimed": _plain_number(self.claimed),
            "computed": _plain_number(self.computed),
            "tolerance": _plain_number(self.tolerance),
            "status": self.status,
        }
        if self.error:
            out["error"] = self.error
        return out


def status_label(status: str, lang: str = "zh") -> str:
    """A status as people read it."""
    return vocab.label(STATUSES, status, lang)


# --------------------------------------------------------------------------- reading


def _header_key(text) -> str:
    return re.sub(r"[\s*_\-:：]", "", str(text)).lower().lstrip("\ufeff")


_ALIAS_INDEX = {
    _header_key(alias): column for column, aliases in COLUMN_ALIASES.items() for alias in aliases
}


def canonical_column(header) -> str | None:
    """The canonical column a header stands for ('起始日期' -> 'period_start'), or None."""
    key = _header_key(header)
    if key in _ALIAS_INDEX:
        return _ALIAS_INDEX[key]
    # Bilingual headers such as "指标 metric" or "数值(value)": any part that is known will do.
    for part in re.split(r"[/()（）|\s]+", str(header)):
        if part and _header_key(part) in _ALIAS_INDEX:
            return _ALIAS_INDEX[_header_key(part)]
    return None


def _cell_text(value) -> str:
    """A spreadsheet cell as text: dates as YYYY-MM-DD, whole floats without '.0'."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_claims_table(source: str | Path | bytes, filename: str | None = None) -> pd.DataFrame:
    """A claims file (CSV, xlsx or xls; a path or its bytes) as text cells under canonical names.

    The `row` column is the row number a spreadsheet shows (the header is row 1).
    Raises HehuError when the file as a whole cannot be used.
    """
    name = filename or (str(source) if not isinstance(source, bytes) else "claims.csv")
    suffix = Path(name).suffix.lower()
    data = source if isinstance(source, bytes) else None
    if data is None:
        path = Path(source)
        if not path.is_file():
            raise HehuError(f"找不到报告数据文件：{path}", f"claims file not found: {path}")
        data = path.read_bytes()
    try:
        if suffix in (".xlsx", ".xlsm", ".xls"):
            engine = "calamine" if suffix == ".xls" else "openpyxl"
            raw = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine=engine)
        elif suffix in (".csv", ".txt", ""):
            raw = _read_csv(data)
        else:
            raise HehuError(
                f"不支持的文件类型：{suffix}（请使用 CSV 或 xlsx）",
                f"unsupported file type: {suffix} (use CSV or xlsx)",
            )
    except HehuError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parser failure means the file is unreadable
        raise HehuError(
            f"无法读取报告数据文件 {Path(name).name}：{type(exc).__name__}",
            f"cannot read the claims file {Path(name).name}: {exc}",
        ) from exc

    columns: dict[str, str] = {}
    for header in raw.columns:
        canonical = canonical_column(header)
        if canonical and canonical not in columns.values():
            columns[header] = canonical
    table = raw[list(columns)].rename(columns=columns)
    missing = [c for c in REQUIRED_COLUMNS if c not in table]
    if "period" not in table and "period_start" not in table:
        missing.append("period")
    if missing:
        zh = "、".join(_COLUMN_ZH[c] for c in missing)
        raise HehuError(
            f"报告数据文件缺少列：{zh}（需要：文件、指标、地点、起始日期、截止日期、数值、容差）",
            f"the claims file lacks columns: {', '.join(missing)} "
            "(needs document, metric, place, period_start, period_end, value, tolerance)",
        )
    for column in COLUMN_ALIASES:
        table[column] = table[column].map(_cell_text) if column in table else ""
    table["row"] = range(2, len(table) + 2)
    # Rows left blank in a spreadsheet are not claims.
    filled = table[["metric", "place", "value"]].ne("").any(axis=1)
    table = table[filled].reset_index(drop=True)
    if table["document"].eq("").all():
        table["document"] = Path(name).stem
    return table[["row", *COLUMN_ALIASES]]


def _read_csv(data: bytes) -> pd.DataFrame:
    # Excel on Chinese Windows saves CSV as GB18030 (GBK); everything else here is UTF-8.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    raise HehuError(
        "文件编码无法识别（请另存为 UTF-8 CSV）", "unknown text encoding (save as UTF-8)"
    )


# --------------------------------------------------------------------------- parsing rows

_NUMBER = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(万)?\s*([%％])?\s*[\u4e00-\u9fff]*$")
_FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_YEAR = re.compile(r"^(\d{4})\s*年?$")


def parse_number(text: str) -> tuple[float, bool]:
    """A figure as written in a report ('1.8万', '18,000', '90起', '95%'): (value, is_percent)."""
    compact = re.sub(r"[,，\s]", "", str(text))
    match = _NUMBER.match(compact)
    if not match:
        raise ValueError(text)
    value = float(match.group(1)) * (10_000 if match.group(2) else 1)
    return value, bool(match.group(3))


def _parse_date_text(text: str) -> pd.Timestamp:
    match = _FULL_DATE.fullmatch(text.strip())
    if not match:
        raise BadDate(text)
    year, month, day = (int(g) for g in match.groups())
    try:
        return pd.Timestamp(dt.date(year, month, day))
    except ValueError as exc:
        raise BadDate(text) from exc


def parse_claim_period(start: str = "", end: str = "", period: str = "") -> Period:
    """A claim's period from start/end cells or one period cell ('2021', '2021-01-01..2022-11-10')."""
    if period:
        year = _YEAR.match(period.strip())
        if year:
            return Period.year(int(year.group(1)))
        dates = [m.group(0) for m in _FULL_DATE.finditer(period)]
        if len(dates) != 2:
            raise BadDate(period)
        start, end = dates
    start_year, end_year = _YEAR.match(start.strip()), _YEAR.match(end.strip())
    if start_year and (end_year or not end.strip()):
        # "2021" alone, or "2021" to "2022": whole calendar years.
        last = int(end_year.group(1)) if end_year else int(start_year.group(1))
        return Period.of(f"{start_year.group(1)}-01-01", f"{last}-12-31")
    if not start.strip() or not end.strip():
        raise ClaimRowError(
            "期间不完整：请同时填写起始日期和截止日期", "incomplete period: give start and end"
        )
    first, last = _parse_date_text(start), _parse_date_text(end)
    if first > last:
        raise BadDate(f"{start} 晚于 {end}")
    return Period(first, last)


def _metric_index() -> dict[str, str]:
    index = {}
    for key, (zh, en, _kind) in vocab.METRICS.items():
        index[key.lower()] = key
        index[zh] = key
        index[en.lower()] = key
    return index


_METRIC_INDEX = _metric_index()


def resolve_metric(text: str) -> str:
    """A metric key from a key, Chinese label or English label; ClaimRowError otherwise."""
    key = _METRIC_INDEX.get(text.strip()) or _METRIC_INDEX.get(text.strip().lower())
    if key is None:
        raise ClaimRowError(f"未知指标：“{text}”", f"unknown metric: {text!r}")
    return key


def resolve_place(records: Records, text: str) -> str:
    """A place code from a code, a full name or a short name that names one place only."""
    text = text.strip()
    places = records.places
    if text in set(places["code"]):
        return text
    hits = places[(places["name"] == text) | (places["short_name"] == text)]
    if len(hits) == 1:
        return str(hits["code"].iloc[0])
    if len(hits) > 1:
        codes = "、".join(hits["code"].astype(str))
        raise ClaimRowError(
            f"地点名称“{text}”不唯一（{codes}），请填写地点代码",
            f"place name {text!r} is ambiguous ({codes}); give the code",
        )
    if re.fullmatch(r"\d{12}", text):
        raise ClaimRowError(f"未知的地点代码：{text}", f"unknown place code: {text}")
    raise ClaimRowError(f"未知地点：“{text}”", f"unknown place: {text!r}")


def parse_claim(records: Records, row: dict) -> Claim:
    """One row of a claims table as a Claim; ClaimRowError naming every problem of the row."""
    problems: list[tuple[str, str]] = []

    def attempt(parse):
        try:
            return parse()
        except HehuError as exc:
            problems.append((exc.zh, exc.en))
        return None

    metric = attempt(lambda: resolve_metric(row["metric"])) if row["metric"] else None
    if not row["metric"]:
        problems.append(("未填写指标", "no metric"))
    place = attempt(lambda: resolve_place(records, row["place"])) if row["place"] else None
    if not row["place"]:
        problems.append(("未填写地点", "no place"))
    period = attempt(
        lambda: parse_claim_period(row["period_start"], row["period_end"], row["period"])
    )
    # An unknown metric is already reported: read its value leniently rather than add noise.
    is_rate = metric is None or vocab.METRICS[metric][2] == "rate"
    value = attempt(lambda: _claimed_value(row["value"], is_rate))
    tolerance = attempt(lambda: _tolerance(row["tolerance"], value, is_rate))
    if problems:
        raise ClaimRowError("；".join(p[0] for p in problems), "; ".join(p[1] for p in problems))
    return Claim(
        row=int(row["row"]),
        document=row["document"],
        metric=metric,
        place_code=place,
        period=period,
        value=value,
        tolerance=tolerance,
        note=row["note"],
        claim_id=row["claim_id"] or str(row["row"]),
    )


def _claimed_value(text: str, is_rate: bool) -> float:
    if not text:
        raise ClaimRowError("未填写数值", "no value")
    try:
        value, percent = parse_number(text)
    except ValueError:
        raise ClaimRowError(f"数值无法识别：“{text}”", f"unreadable value: {text!r}") from None
    if percent and not is_rate:
        raise ClaimRowError(
            f"“{text}”是百分数，但该指标不是比率", f"{text!r} is a percentage but not a rate"
        )
    return value / 100 if percent else value


def _tolerance(text: str, claimed: float | None, is_rate: bool) -> float:
    if not text:
        return 0.0
    try:
        value, percent = parse_number(text)
    except ValueError:
        raise ClaimRowError(f"容差无法识别：“{text}”", f"unreadable tolerance: {text!r}") from None
    if value < 0:
        raise ClaimRowError("容差不能为负数", "the tolerance cannot be negative")
    if not percent:
        return value
    if is_rate:
        return value / 100  # percentage points
    return abs(claimed or 0) * value / 100


# --------------------------------------------------------------------------- checking

_EPSILON = 1e-9


def check_claim(records: Records, claim: Claim) -> ClaimResult:
    """Recompute one claim from the records and give it a status."""
    kind = vocab.METRICS[claim.metric][2]
    raw = metrics_by_place(records, claim.period).at[claim.place_code, claim.metric]
    computed = None if pd.isna(raw) else (round(float(raw), 4) if kind == "rate" else int(raw))
    if (
        computed is None
        or source_records(records, claim.metric, claim.place_code, claim.period).empty
    ):
        # With nothing recorded, a computed 0 says nothing about the claim: report no value.
        status, computed = "no_records", None
    elif abs(computed - claim.value) <= _EPSILON:
        status = "matched"
    elif abs(computed - claim.value) <= claim.tolerance + _EPSILON:
        status = "within_tolerance"
    else:
        status = "not_supported"
    return ClaimResult(
        row=claim.row,
        document=claim.document,
        metric=claim.metric,
        place_code=claim.place_code,
        place_name=_place_name(records, claim.place_code),
        period_start=_day(claim.period.start),
        period_end=_day(claim.period.end),
        claimed=claim.value,
        tolerance=claim.tolerance,
        computed=computed,
        status=status,
        note=claim.note,
        claim=claim,
    )


def check_claims(records: Records, table: pd.DataFrame) -> list[ClaimResult]:
    """Check every row of a claims table; unreadable rows come back with status 'invalid'."""
    results = []
    for row in table.to_dict("records"):
        try:
            claim = parse_claim(records, row)
        except HehuError as exc:
            results.append(_invalid_result(records, row, exc.zh))
            continue
        results.append(check_claim(records, claim))
    return results


def check_claims_file(
    records: Records, source: str | Path | bytes, filename: str | None = None
) -> list[ClaimResult]:
    """Read a claims file (path or bytes) and check every claim in it."""
    return check_claims(records, read_claims_table(source, filename))


def results_frame(results: list[ClaimResult]) -> pd.DataFrame:
    """Results as a frame, one row per claim (for pandas users and exports)."""
    return pd.DataFrame(
        [{**r.as_dict(), "difference": r.difference, "note": r.note} for r in results]
    )


def _invalid_result(records: Records, row: dict, message: str) -> ClaimResult:
    place = row.get("place", "")
    return ClaimResult(
        row=int(row["row"]),
        document=row.get("document", ""),
        metric=row.get("metric", ""),
        place_code=place,
        place_name=_place_name(records, place),
        period_start=row.get("period_start", "") or row.get("period", ""),
        period_end=row.get("period_end", ""),
        claimed=None,
        tolerance=0.0,
        computed=None,
        status="invalid",
        error=message,
        note=row.get("note", ""),
    )


def _place_name(records: Records, code: str) -> str:
    names = _cached(records, "place_names", lambda: records.places.set_index("code")["name"])
    return str(names.get(code, ""))


def _day(stamp: pd.Timestamp | None) -> str:
    return "" if stamp is None else stamp.strftime("%Y-%m-%d")


def _plain_number(value):
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return int(value) if value.is_integer() else round(value, 6)


def _cached(records: Records, key, build):
    return records.cached(("claims", key), build)


# --------------------------------------------------------------------------- records behind

_VISIT_METRICS = ("towns", "subdistricts", "key_villages", "households_visited")
_MUST_VISIT_METRICS = ("households_must_visit", "must_visit_coverage")
_CASE_METRICS = ("cases_received", "cases_resolved", "resolution_rate")
_EVENT_METRICS = ("legal_events", "legal_lectures", "legal_audience")
_COURSE_METRICS = ("course_sessions", "course_attendance", "key_villages_with_course")
_PAIRING_METRICS = ("pairings_active", "pairings_lapsed")
_SCREENING_METRICS = ("households_screened", "high_risk_without_follow_up")
_REC_METRICS = ("recommendations_open", "recommendations_overdue")


def _under(records: Records, code: str) -> set[str]:
    return _cached(records, ("under", code), lambda: descendants(records.places, code))


def _in_place(frame: pd.DataFrame, records: Records, code: str) -> pd.DataFrame:
    return frame[frame["place_code"].isin(_under(records, code))]


def source_records(records: Records, metric: str, code: str, period: Period) -> pd.DataFrame:
    """The records a metric is computed from, for a place (and all under it) and a period.

    The same selection as `metrics.metrics_by_place`; for rates, the denominator's records.
    Empty means there is nothing to check a claim against ('no_records').
    """
    if metric in _VISIT_METRICS:
        visits = records["visit"]
        visits = visits[period.contains(visits["date"])].assign(
            place_code=lambda f: f["household_id"].map(records.household_place)
        )
        return _in_place(visits, records, code)
    if metric in _MUST_VISIT_METRICS:
        households = records["household"]
        must = households[households["categories"].map(is_must_visit)]
        return _in_place(must, records, code)
    if metric == "stations":
        orgs = records["org"]
        return _in_place(orgs[orgs["kind"].isin(vocab.STATION_KINDS)], records, code)
    if metric in _CASE_METRICS:
        cases = records["case"]
        return _in_place(cases[period.contains(cases["received_date"])], records, code)
    if metric in _EVENT_METRICS:
        events = records["event"]
        events = events[period.contains(events["date"])]
        if metric == "legal_lectures":
            events = events[events["format"] == "lecture"]
        return _in_place(events, records, code)
    if metric in _COURSE_METRICS:
        courses = records["course"]
        return _in_place(courses[period.contains(courses["date"])], records, code)
    if metric in ("left_behind_children", "left_behind_children_paired"):
        persons = records["person"]
        left_behind = persons[
            persons["categories"].map(lambda c: "left_behind_child" in vocab.split_keys(c))
        ]
        if metric == "left_behind_children":
            return _in_place(left_behind, records, code)
        pairings = records["pairing"].assign(
            place_code=lambda f: f["person_id"].map(records.person_place)
        )
        overlaps = pairings["person_id"].isin(set(left_behind["person_id"]))
        if period.end is not None:
            overlaps &= pairings["start_date"] <= period.end
        if period.start is not None:
            overlaps &= pairings["end_date"].isna() | (pairings["end_date"] >= period.start)
        return _in_place(pairings[overlaps], records, code)
    if metric in _PAIRING_METRICS:
        return _in_place(active_pairings(records, period.as_of), records, code)
    if metric in _SCREENING_METRICS:
        screenings = records["screening"].assign(
            place_code=lambda f: f["household_id"].map(records.household_place)
        )
        return _in_place(screenings[period.contains(screenings["date"])], records, code)
    if metric in _REC_METRICS:
        recs = records["recommendation"].merge(
            records["inspection"][["inspection_id", "date"]], on="inspection_id", how="left"
        )
        return _in_place(recs[recs["date"] <= period.as_of], records, code)
    raise ClaimRowError(f"未知指标：“{metric}”", f"unknown metric: {metric!r}")


def _area_of(records: Records, code: str) -> dict[str, str]:
    """For every place under `code`: the name of the unit directly under `code` it lies in."""

    def build():
        parent = dict(zip(records.places["code"], records.places["parent_code"], strict=True))
        names = records.places.set_index("code")["name"]
        out = {}
        for place in _under(records, code):
            node = place
            while node != code and parent.get(node) != code:
                node = parent[node]
            out[place] = names[node]
        return out

    return _cached(records, ("area", code), build)


def records_behind(
    records: Records,
    claim: Claim,
    *,
    detail: bool = False,
    coarse: bool = False,
    lang: str = "zh",
) -> pd.DataFrame:
    """The records behind a claim's computed value, aggregated (no person-level rows).

    Grouped by month, organisation or the unit directly under the claim's place; columns are
    keys of BEHIND_COLUMNS, and `attrs["people_columns"]` names the columns counting people.
    `coarse=True` drops the month, leaving fewer and larger cells (for small-count hiding);
    `detail=True` gives the pseudonymous source rows themselves (for staff only).
    """
    metric, code, period = claim.metric, claim.place_code, claim.period
    rows = source_records(records, metric, code, period)
    if detail:
        return rows.reset_index(drop=True)
    area = _area_of(records, code)
    org_names = records["org"].set_index("org_id")["name"]
    names = records.places.set_index("code")["name"]
    rows = rows.copy()
    if "place_code" in rows:
        rows["area"] = rows["place_code"].map(area)

    def month(column: str) -> pd.Series:
        return rows[column].dt.strftime("%Y-%m")

    if metric in _VISIT_METRICS:
        places = records.places.set_index("code")
        if metric == "households_visited":
            key = rows["area"]
        else:
            unit_level = {"towns": "town", "subdistricts": "subdistrict"}.get(metric)
            ancestors = records.ancestors[records.ancestors["code"].isin(set(rows["place_code"]))]
            level = places.loc[ancestors["ancestor"], "level"].to_numpy()
            is_key = places.loc[ancestors["ancestor"], "key_village"].astype(bool).to_numpy()
            units = ancestors[(level == unit_level) if unit_level else is_key]
            # Units at or above the claim's place are not reached "under" it (as in metrics).
            units = units[units["ancestor"].isin(_under(records, code) - {code})]
            key = rows["place_code"].map(units.set_index("code")["ancestor"]).map(names)
            rows = rows[key.notna()]
            key = key[key.notna()]
        frame = (
            rows.assign(unit=key)
            .groupby("unit")
            .agg(households=("household_id", "nunique"), visits=("visit_id", "size"))
            .reset_index()
        )
        if metric == "households_visited":
            frame = frame.rename(columns={"unit": "area"})
    elif metric in _MUST_VISIT_METRICS:
        visits = records["visit"]
        visited = set(visits.loc[period.contains(visits["date"]), "household_id"])
        frame = (
            rows.assign(seen=rows["household_id"].isin(visited))
            .groupby("area")
            .agg(must_visit=("household_id", "size"), visited=("seen", "sum"))
            .reset_index()
        )
    elif metric == "stations":
        frame = pd.DataFrame(
            {
                "unit": rows["name"],
                "kind": rows["kind"].map(lambda k: vocab.label(vocab.ORG_KINDS, k, lang)),
                "place": rows["place_code"].map(names),
            }
        )
    elif metric in _CASE_METRICS:
        done = rows["status"].isin(vocab.CASE_DONE_STATUSES) & (rows["closed_date"] <= period.as_of)
        frame = (
            rows.assign(month=month("received_date"), org=rows["org_id"].map(org_names), done=done)
            .groupby(["org"] if coarse else ["month", "org"])
            .agg(cases=("case_id", "size"), resolved=("done", "sum"))
            .reset_index()
        )
    elif metric in _EVENT_METRICS:
        frame = (
            rows.assign(
                month=month("date"),
                campaign=rows["campaign"].map(lambda k: vocab.label(vocab.CAMPAIGNS, k, lang)),
                format=rows["format"].map(lambda k: vocab.label(vocab.EVENT_FORMATS, k, lang)),
                audience=rows["audience"].fillna(0),
            )
            .groupby(["campaign", "format"] if coarse else ["month", "campaign", "format"])
            .agg(events=("event_id", "size"), audience=("audience", "sum"))
            .reset_index()
        )
    elif metric in _COURSE_METRICS:
        if metric == "key_villages_with_course":
            key_codes = set(records.places.loc[records.places["key_village"].astype(bool), "code"])
            rows = rows[rows["place_code"].isin(key_codes)]
            group = rows["place_code"].map(names).rename("place")
            by = [group]
        else:
            by = [rows["area"]] if coarse else [month("date").rename("month"), rows["area"]]
        frame = (
            rows.groupby(by)
            .agg(sessions=("course_id", "size"), attendance=("attendance", "sum"))
            .reset_index()
        )
    elif metric == "left_behind_children":
        frame = rows.groupby("area").agg(children=("person_id", "nunique")).reset_index()
    elif metric == "left_behind_children_paired":
        frame = (
            rows.assign(org=rows["org_id"].map(org_names))
            .groupby("area")
            .agg(
                children=("person_id", "nunique"),
                orgs=("org", lambda s: "、".join(sorted(set(s.dropna())))),
            )
            .reset_index()
        )
    elif metric in _PAIRING_METRICS:
        lapse = rows["days_since_contact"] > vocab.LAPSE_DAYS_DEFAULT
        frame = (
            rows.assign(org=rows["org_id"].map(org_names), lapsed=lapse)
            .groupby(["area", "org"])
            .agg(pairings=("pairing_id", "size"), lapsed=("lapsed", "sum"))
            .reset_index()
        )
    elif metric in _SCREENING_METRICS:
        unfollowed = high_risk_without_follow_up(records, rows, period.as_of)
        frame = (
            rows.assign(
                high=rows["risk_level"].eq("high"),
                unfollowed=rows["screening_id"].isin(set(unfollowed["screening_id"])),
            )
            .groupby("area")
            .agg(
                screened=("household_id", "nunique"),
                high_risk=("high", "sum"),
                unfollowed=("unfollowed", "sum"),
            )
            .reset_index()
        )
    else:  # recommendations: organisations' work, no people in them
        frame = pd.DataFrame(
            {
                "place": rows["place_code"].map(names),
                "text": rows["text"],
                "org": rows["responsible_org"].map(org_names),
                "due_date": rows["due_date"].dt.strftime("%Y-%m-%d"),
                "status": rows["status"].map(lambda k: vocab.label(vocab.REC_STATUSES, k, lang)),
            }
        )
    frame = frame.reset_index(drop=True)
    for column in frame.columns:
        if column in PEOPLE_COLUMNS or column in ("sessions", "attendance", "events", "audience"):
            frame[column] = frame[column].astype("int64")
    frame.attrs["people_columns"] = [c for c in frame.columns if c in PEOPLE_COLUMNS]
    return frame


def disclosed_result(records: Records, result: ClaimResult, role: str) -> ClaimResult:
    """A claim's check as a role may see it: a computed count of people as disclosed for its
    place and period (the same figure the overview and briefing show); when that is hidden,
    neither the difference nor the status may tell it, so the status is 'not_disclosed'."""
    if sees_exact_counts(role) or result.claim is None or result.computed is None:
        return result
    if vocab.METRICS.get(result.metric, ("", "", "number"))[2] == "number":
        return result
    claim = result.claim
    shown = disclosed_place_figures(records, period_choice_key(claim.period), role).at[
        claim.place_code, result.metric
    ]
    if not is_hidden(shown):
        return result
    return replace(result, computed=shown, status="not_disclosed")


# The place figures shown by place for a claim's metric to roles that see aggregates only.
BEHIND_FIGURES: dict[str, tuple[str, ...]] = {
    **{m: (m, "households_visited") for m in ("towns", "subdistricts", "key_villages")},
    "households_visited": ("households_visited",),
    **{m: ("households_must_visit", "must_visit_coverage") for m in _MUST_VISIT_METRICS},
    **{m: ("cases_received", "cases_resolved", "resolution_rate") for m in _CASE_METRICS},
    **{
        m: ("left_behind_children", "left_behind_children_paired")
        for m in ("left_behind_children", "left_behind_children_paired")
    },
    **{m: _PAIRING_METRICS for m in _PAIRING_METRICS},
    **{m: _SCREENING_METRICS for m in _SCREENING_METRICS},
}


def disclosed_behind(records: Records, claim: Claim, role: str, lang: str = "zh") -> pd.DataFrame:
    """The figures behind a claim, place by place under its place, as a role may see them:
    for metrics that count people, the disclosed place figures (one disclosure for every page);
    for the others (sessions, events, stations, recommendations) the records behind, grouped."""
    columns = BEHIND_FIGURES.get(claim.metric)
    if columns is None:
        return records_behind(records, claim, coarse=True, lang=lang)
    figures = disclosed_place_figures(records, period_choice_key(claim.period), role)
    code = claim.place_code
    children = [c for c in child_codes(records, code) if c in figures.index]
    own = own_row_code(code)
    rows = [*children, *([own] if own in figures.index else []), code]
    names = records.places.set_index("code")["name"]
    label = {"area": [names.get(c, "") for c in children]}
    label["area"] += [f"（{names[code]}本级）" if lang != "en" else f"({names[code]} itself)"] * (
        own in figures.index
    )
    label["area"] += ["合计" if lang != "en" else "Total"]
    out = pd.DataFrame(label)
    for column in columns:
        out[column] = figures.loc[rows, column].to_numpy()
    return out
