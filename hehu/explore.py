"""笔记本数据接口：妇联工作人员在 JupyterLab 中查询记录、指标和跟踪表。
The records for notebooks: a small, stable API for Federation staff in JupyterLab.

    from widgets import explore as hx        # 本模块加上地图和页面 / this module plus maps and pages
    wb = hx.open_workbench()                 # 数据库：--db、$HEHU_DB 或 ~/.hehu/hehu.sqlite
    wb.place("高沟镇")                        # → '320826101000'（名称、拼音首字母或代码）
    wb.records("course", place="高沟镇", period="2022", labels="zh")   # 课程记录，中文列名
    wb.metrics(place="高沟镇", period="2022")                          # 与 `hehu metrics` 相同
    wb.metrics_table(period="2022", level="town")                      # 每个镇街一行
    wb.tracking("unpaired", place="高沟镇", period="2022")              # 跟踪表（见 TRACKING_TABLES）
    wb.to_excel(frame, "结果.xlsx", what="春季课程与结对")              # 转义公式、写入操作日志

Everything here asks the rule that already decides it: metrics are `metrics.place_metrics` and
`metrics_by_place`, tracking tables are the functions of `hehu.figures.tracking` the staff pages
show, periods are the pages' period keys, exports go through the pages' escaping and audit.
Person-level rows are pseudonymous, as on the staff pages (no name or ID number is ever stored);
the interface is for the roles that see them (staff, admin), so a deputy's server refuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hehu.disclosure import current_actor, current_role, sees_person_rows
from hehu.errors import HehuError, UnknownPlace
from hehu.figures import tracking
from hehu.figures.cache import period_from_key
from hehu.figures.metrics import Period, Records, load_records, metrics_by_place, place_metrics
from hehu.figures.tracking import measures, programmes
from hehu.i18n import audit_what, join_list
from hehu.importing.kinds import KIND_SPECS
from hehu.records import vocab
from hehu.records.gazetteer import codes_under
from hehu.records.place_search import find_places, place_search_frame
from hehu.records.schema import DATE_COLUMNS, RECORD_TABLES
from hehu.records.store import Store, open_store
from hehu.render.spreadsheet import frame_to_xlsx_bytes, log_export

__all__ = ["TRACKING_TABLES", "Workbench", "open_workbench", "period_of"]


@dataclass(frozen=True)
class TrackingTable:
    """One tracking table of the staff pages: its names and how it is computed."""

    zh: str
    en: str
    compute: Callable[[Records, Period, str], pd.DataFrame]


# The tables the tracking pages show, by the name a notebook asks for them.
TRACKING_TABLES: dict[str, TrackingTable] = {
    "unpaired": TrackingTable("未结对的留守儿童", "left-behind children not paired", tracking.unpaired_rows),
    "lapsed": TrackingTable(
        "逾期未联系的结对",
        "pairings with no contact for too long",
        lambda r, p, c: tracking.lapsed_rows(r, p, c, tracking.lapse_days_setting()),
    ),
    "pairings_by_org": TrackingTable(
        "各组织结对情况",
        "pairings by organisation",
        lambda r, p, c: tracking.pairings_by_org(r, p, c, tracking.lapse_days_setting()),
    ),
    "must_visit": TrackingTable("必访家庭及走访情况", "must-visit households", tracking.must_visit_rows),
    "must_visit_by_group": TrackingTable("必访家庭（按类别）", "must-visit households by group", tracking.must_visit_by_group),
    "high_risk": TrackingTable("高风险未跟进", "high risk without follow-up", tracking.high_risk_rows),
    "courses_by_month": TrackingTable("课程（按月）", "courses by month", tracking.courses_by_month),
    "courses_by_org": TrackingTable("课程（按组织）", "courses by organisation", tracking.courses_by_org),
    "key_villages_without_course": TrackingTable(
        "无课程的重点帮促村", "key villages without a course", tracking.key_villages_without_course
    ),
    "cases": TrackingTable("维权事项", "rights cases", tracking.case_rows),
    "open_cases_by_age": TrackingTable("未办结事项（按时长）", "open cases by age", tracking.open_cases_by_age),
    "measures_by_agency": TrackingTable("保护措施（按办理单位、措施与结果）", "protection measures by agency", measures.measures_by_agency),
    "referrals_between": TrackingTable("1+N 转介（按转出、接收单位）", "referrals between bodies", measures.referrals_between),
    "events_by_law": TrackingTable("普法活动（按宣传的法律）", "legal events by law", programmes.events_by_law),
    "events_by_channel": TrackingTable("普法活动（按渠道、专栏）", "legal events by channel", programmes.events_by_channel),
    "deputies_outreach": TrackingTable("人大代表田间地头普法", "deputies' own outreach", programmes.deputies_outreach),
    "station_hosts": TrackingTable("维权阵地与主办单位", "stations and their host body", lambda r, p, c: programmes.station_hosts(r, c)),
    "visits_by_org": TrackingTable("走访（按组织）", "visits by organisation", programmes.visits_by_org),
    "screenings_by_org": TrackingTable("风险排查（按排查单位）", "screening by agency", programmes.screenings_by_org),
    "deliberation_brands": TrackingTable("妇女议事会品牌", "women's deliberation brands", programmes.deliberation_brands),
}  # fmt: skip

# Kinds recorded against a household or a person: their place is the household's or person's.
_PLACE_THROUGH = {
    "visit": ("household_id", "household"),
    "screening": ("household_id", "household"),
    "pairing": ("person_id", "person"),
    "recommendation_update": ("rec_id", "recommendation"),
    "referral": ("case_id", "case"),
}


def period_of(period: str | Period | None) -> Period:
    """期间：'2022'、'2022-03-01:2022-05-31'、'all'，或 Period；None 为全部时间（与 `hehu metrics` 相同）。
    A period from a page's period key ('2022', 'start:end', 'all'); None: all time, as on the
    command line."""
    if isinstance(period, Period):
        return period
    if period is None:
        return Period()
    try:
        return period_from_key(str(period).strip())
    except ValueError as exc:
        raise HehuError(
            f"期间格式不正确：{period}（应为 2022、2022-03-01:2022-05-31 或 all）",
            f"bad period: {period} (expected 2022, 2022-03-01:2022-05-31 or all)",
        ) from exc


class Workbench:
    """一个数据库的记录、指标和跟踪表 / the records, metrics and tracking tables of one database."""

    def __init__(self, store: Store):
        self.store = store

    @property
    def data(self) -> Records:
        """所有记录的快照（数据变化后自动重读） / every record, re-read after a change."""
        return load_records(self.store)

    def place(self, query: str) -> str:
        """地点代码：按代码、名称、拼音或首字母查找，须唯一 / the code of one place by code or name."""
        places = self.data.places
        text = str(query).strip()
        if text in set(places["code"]):
            return text
        exact = places.loc[(places["name"] == text) | (places["short_name"] == text), "code"]
        if len(exact) == 1:
            return exact.iloc[0]
        found = find_places(text, place_search_frame(places))
        if len(found) == 1:
            return found[0]
        if not found:
            raise UnknownPlace(text)
        names = places.set_index("code")["name"]
        shown = "、".join(f"{names[c]}（{c}）" for c in found[:8])
        raise HehuError(
            f"“{text}”对应多个地点：{shown}{' 等' if len(found) > 8 else ''}，请写全称或代码",
            f"“{text}” matches {len(found)} places; give the full name or the code",
        )

    def places(self, level: str | None = None, under: str | None = None, labels=None):
        """地名表（可按级别、上级筛选） / the gazetteer, optionally one level under a place."""
        frame = self.data.places
        if level is not None and level not in vocab.LEVELS:
            raise HehuError(
                f"没有这个级别：{level}（可用：{'、'.join(vocab.LEVELS)}）",
                f"no such level: {level}",
            )
        if under is not None:
            frame = frame[frame["code"].isin(codes_under(frame, self.place(under)))]
        if level is not None:
            frame = frame[frame["level"] == level]
        return _labelled(frame.reset_index(drop=True), "place", labels)

    def records(self, kind: str, place=None, period=None, labels=None) -> pd.DataFrame:
        """某类记录（某地及其下辖、某期间） / the records of a kind in a place and period.

        kind：place, org, household, person, pairing, contact, course, visit, screening, case,
        event, deliberation, target, claim, inspection, recommendation。labels="zh" 给出中文列名和
        词表标签（"en" 为英文标签）。无日期的记录（地点、组织、家庭、对象、意见建议）不按期间筛选。
        Records of a household or person carry its place_code; kinds with no date are kept
        whole whatever the period."""
        if kind not in RECORD_TABLES:
            raise HehuError(
                f"没有这类记录：{kind}（可用：{'、'.join(RECORD_TABLES)}）",
                f"no such kind of record: {kind}",
            )
        data = self.data
        frame = data[kind]
        if kind in _PLACE_THROUGH:
            key, owner = _PLACE_THROUGH[kind]
            owners = data[owner].set_index(key)["place_code"]
            frame = frame.assign(place_code=frame[key].map(owners))
        if kind == "contact":
            pairings = self.records("pairing")
            frame = frame.assign(
                place_code=frame["pairing_id"].map(pairings.set_index("pairing_id")["place_code"])
            )
        if place is not None:
            frame = self._in_place(frame, kind, self.place(place))
        if period is not None:
            frame = _in_period(frame, kind, period_of(period))
        return _labelled(frame.reset_index(drop=True), kind, labels)

    def _in_place(self, frame: pd.DataFrame, kind: str, code: str) -> pd.DataFrame:
        under = codes_under(self.data.places, code)
        if kind == "place":
            return frame[frame["code"].isin(under)]
        if kind == "inspection":
            visited = frame["places"].map(lambda codes: bool(set(vocab.split_keys(codes)) & under))
            return frame[visited]
        return frame[frame["place_code"].isin(under)]

    def metrics(self, place=None, period=None) -> dict:
        """一个地点一个期间的全部指标，与 `hehu metrics` 相同 / every metric, as `hehu metrics`."""
        data = self.data
        code = self.place(place) if place is not None else None
        return place_metrics(data, code, period_of(period))

    def metrics_table(self, period=None, level=None, under=None, labels=None) -> pd.DataFrame:
        """每个地点一行、每个指标一列 / one row a place, one column a metric."""
        data = self.data
        figures = metrics_by_place(data, period_of(period))
        places = self.places(level=level, under=under)[["code", "name", "level"]]
        table = places.merge(figures, left_on="code", right_index=True, how="left")
        if labels in ("zh", "en"):
            table["level"] = table["level"].map(lambda key: vocab.label(vocab.LEVELS, key, labels))
        if labels == "zh":
            names = {m: entry[0] for m, entry in vocab.METRICS.items()}
            table = table.rename(
                columns={"code": "区划代码", "name": "名称", "level": "级别", **names}
            )
        return table.reset_index(drop=True)

    def tracking(self, table: str, place=None, period=None) -> pd.DataFrame:
        """员工页面的一张跟踪表（见 TRACKING_TABLES） / a tracking table of the staff pages."""
        if table not in TRACKING_TABLES:
            raise HehuError(
                f"没有这张跟踪表：{table}（可用：{'、'.join(TRACKING_TABLES)}）",
                f"no such tracking table: {table}",
            )
        data = self.data
        code = self.place(place) if place is not None else data.root
        return TRACKING_TABLES[table].compute(data, period_of(period), code)

    def to_excel(self, frame: pd.DataFrame, path, what: str, sheet: str = "数据") -> Path:
        """导出为 Excel：公式样文本按文本保存，并写入操作日志 / an .xlsx export, escaped and audited."""
        path = Path(path)
        if path.suffix.lower() != ".xlsx":
            raise HehuError(
                f"导出文件应以 .xlsx 结尾：{path.name}", f"export to .xlsx: {path.name}"
            )
        if not isinstance(frame, pd.DataFrame):
            raise HehuError("导出的应是一张表（pandas DataFrame）", "export a pandas DataFrame")
        note = f"呵护 Hehu · {what} · 由笔记本导出（妇联工作人员，假名编号）"
        payload = frame_to_xlsx_bytes(frame, sheet=sheet, note=note)
        try:
            path.write_bytes(payload)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise HehuError(f"无法写入 {path}：{reason}", f"cannot write {path}: {reason}") from exc
        # The audit entry a page's export writes, by whoever exports; the file name says where.
        entry = audit_what("export", table=f"{what} → {path.name}", rows=len(frame))
        log_export(self.store, entry, actor=current_actor())
        return path


def open_workbench(db: str | None = None) -> Workbench:
    """打开数据库（--db、$HEHU_DB 或默认文件），仅限妇联工作人员和管理员 / open for staff and admin."""
    if not sees_person_rows():
        raise HehuError(
            f"笔记本数据接口仅供妇联工作人员和管理员使用（本服务的角色：{current_role()}）",
            f"the notebook interface is for staff and admin (this server's role: {current_role()})",
        )
    return Workbench(open_store(db, create=False))


def _in_period(frame: pd.DataFrame, kind: str, period: Period) -> pd.DataFrame:
    """The records of a kind dated inside a period; pairings and claims that overlap it."""
    if kind in DATE_COLUMNS:
        return frame[period.contains(frame[DATE_COLUMNS[kind]])]
    if kind in ("pairing", "claim"):
        start, end = (
            ("start_date", "end_date") if kind == "pairing" else ("period_start", "period_end")
        )
        keep = pd.Series(True, index=frame.index)
        if period.end is not None:
            keep &= frame[start].isna() | (frame[start] <= period.end)
        if period.start is not None:
            keep &= frame[end].isna() | (frame[end] >= period.start)
        return frame[keep]
    if kind == "target" and period.start is not None and period.end is not None:
        return frame[frame["year"].between(period.start.year, period.end.year)]
    return frame


def _labelled(frame: pd.DataFrame, kind: str, labels) -> pd.DataFrame:
    """Vocabulary keys as labels ('zh' or 'en'), and with 'zh' the import templates' headers."""
    if labels not in ("zh", "en"):
        return frame
    spec = KIND_SPECS.get(kind)
    fields = {f.key: f for f in spec.fields} if spec else {}
    out = frame.copy()
    for column, field in fields.items():
        if column in out and field.vocab:
            table = field.vocab

            def shown(value, table=table):
                keys = vocab.split_keys(value) if isinstance(value, str) else []
                return (
                    join_list([vocab.label(table, k, labels) for k in keys], labels)
                    if keys
                    else value
                )

            out[column] = out[column].map(shown)
    if labels == "zh":
        headers = {key: f.zh for key, f in fields.items()}
        headers.setdefault("place_code", "村居")
        out = out.rename(columns=headers)
    return out
