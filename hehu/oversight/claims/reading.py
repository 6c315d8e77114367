"""Reading a claims file (CSV or xlsx, Chinese or English headers) and its rows: metric, place,
period, value and tolerance as a report writes them."""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd

from hehu.errors import BadDate, HehuError
from hehu.figures.metrics import (
    Period,
    Records,
)
from hehu.importing.cells import parse_number_with_percent
from hehu.oversight.claims.model import Claim, ClaimRowError
from hehu.records import vocab

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

_FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_YEAR = re.compile(r"^(\d{4})\s*年?$")


def parse_number(text: str) -> tuple[float, bool]:
    """A figure as written in a report ('1.8万', '18,000', '90起', '九十', '95%'): (value,
    is_percent), read by the one reader of numbers (hehu.importing.cells)."""
    return parse_number_with_percent(text)


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


def reads_as_percent(value: float, percent: bool, is_rate: bool) -> bool:
    """Whether a claimed figure is a percentage: written with % (95%, 七成), or a bare figure
    over 1 for a rate (95 is 95 %: no rate exceeds 1). 0.95 for a rate is a fraction already."""
    return percent or (is_rate and value > 1)


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
    return value / 100 if reads_as_percent(value, percent, is_rate) else value


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
