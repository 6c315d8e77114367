"""Row builders: a row's parsed values turned into the store record (and any record it implies).

Each kind with more to it than its columns has a builder here: places and organisations found by
name, people and households turned into pseudonymous IDs, pairings, contacts, visits and
recommendations pointing at records stored or accepted earlier in the same import. A builder that
finds a problem adds (column, reason in Chinese) to `errors` and raises `RowFailed`.

`check_record` holds the store's rules a built record is checked against before it is kept.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from functools import cache
from typing import Protocol

from hehu.importing.cells import parse_date, strip_spaces, vocab_key
from hehu.importing.kinds import KIND_SPECS, KindSpec, derive_id
from hehu.importing.resolve import Catalog
from hehu.records import pseudonym, vocab
from hehu.records.schema import RECORD_TABLES, first_unit


class RowFailed(Exception):
    """A row was rejected; its reasons are already in the row's error list."""


class RowContext(Protocol):
    """What a builder may ask of the import it runs in (an `engine.Importer`)."""

    catalog: Catalog
    batch: dict[str, dict[tuple, tuple[dict, str, int]]]  # kind -> pk -> (record, sheet, row)

    def key(self) -> bytes:
        """The pseudonymisation key."""
        ...

    def exists(self, kind: str, key: str) -> bool:
        """Whether a record is stored or accepted earlier in this import."""
        ...

    def missing_reason(self, kind: str, key: str, what: str, hint: str) -> str:
        """Why a reference does not resolve."""
        ...


def _build_plain(imp: RowContext, spec: KindSpec, values: dict, labels, errors):
    """A record that is just its parsed columns (course, event, case, …)."""
    record = {k: v for k, v in values.items() if k in RECORD_TABLES[spec.kind].columns}
    return record, []


def _build_place(imp: RowContext, spec, values, labels, errors):
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["place"].columns}
    places = imp.catalog.places
    code = values.get("code")
    if code is not None:
        digits = strip_spaces(str(code))
        if not re.fullmatch(r"\d{12}", digits):
            errors.append((labels["code"], f"区划代码“{code}”应为12位数字"))
            raise RowFailed
        record["code"] = digits
    else:
        try:
            record["code"] = places.resolve(values["name"])
        except ValueError as exc:
            errors.append((labels["name"], f"{exc}（新增地点须填写区划代码）"))
            raise RowFailed from None
        del record["name"]  # the name identified the place; it is not a new name
    if record["code"] not in places.records:
        record.setdefault("short_name", record.get("name"))
        record.setdefault("coord_quality", "none")
        record.setdefault("key_village", False)
    if ("lat" in values or "lon" in values) and "coord_quality" not in values:
        errors.append((labels.get("lat") or labels.get("lon"), "填写经纬度时须同时填写坐标质量"))
        raise RowFailed
    return record, []


def _build_org(imp: RowContext, spec, values, labels, errors):
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["org"].columns}
    if not record.get("org_id"):
        # An organisation already known by this exact name keeps its ID (demo IDs, earlier imports).
        try:
            record["org_id"] = imp.catalog.orgs.resolve(values["name"])
        except ValueError:
            record["org_id"] = derive_id("O", "org", [vocab_key(values["name"])])
    if record.get("host_org_id") is not None and record["host_org_id"] == record["org_id"]:
        errors.append((labels["host_org_id"], "主办单位不能是该组织本身"))
        raise RowFailed
    return record, []


def _build_event(imp: RowContext, spec, values, labels, errors):
    """A legal event: a WeChat column named with no channel given is a WeChat post."""
    record, extras = _build_plain(imp, spec, values, labels, errors)
    if record.get("column_name") is not None:
        record.setdefault("channel", "wechat")
        if record["channel"] == "on_site":
            errors.append(
                (labels.get("channel", "渠道"), "填写了专栏名称时，渠道应为微信公众号或视频")
            )
            raise RowFailed
    return record, extras


def _person_identity(imp, values, labels, errors, name_key, id_key, given_key, prefix, what):
    """A pseudonymous ID from a name and ID number, or the ID given; None if neither was given."""
    name, number = values.get(name_key), values.get(id_key)
    if name is not None or number is not None:
        if name is None:
            errors.append((labels.get(name_key, "姓名"), f"填写了{what}身份证号但没有姓名"))
            raise RowFailed
        if number is None:
            errors.append(
                (
                    labels.get(id_key, f"{what}身份证号"),
                    f"缺少{what}身份证号：仅凭姓名无法可靠区分同名人员（也可改填编号）",
                )
            )
            raise RowFailed
        made = pseudonym.pseudonym(prefix, name, number, imp.key(), checked=True)
        given = values.get(given_key)
        if given is not None and given != made:
            errors.append((labels[given_key], f"编号与{what}姓名、身份证号生成的编号不一致"))
            raise RowFailed
        return made, number
    return values.get(given_key), None


def _household_ref(imp, values, labels, errors, place_code, create: bool):
    """The household a row points at (by head or number), auto-created at `place_code` if new."""
    household_id, _ = _person_identity(
        imp, values, labels, errors, "head_name", "head_id_number", "household_id", "H", "户主"
    )
    if household_id is None:
        return None, []
    if imp.exists("household", household_id):
        return household_id, []
    if create and place_code:
        return household_id, [
            (
                "household",
                {"household_id": household_id, "place_code": place_code, "categories": ""},
            )
        ]
    column = labels.get("head_name") or labels.get("household_id") or "户主姓名"
    errors.append(
        (
            column,
            imp.missing_reason(
                "household", household_id, "该家庭", "请先导入家庭名册，或在本行填写村居以新建家庭"
            ),
        )
    )
    raise RowFailed


def _build_household(imp: RowContext, spec, values, labels, errors):
    household_id, _ = _person_identity(
        imp, values, labels, errors, "head_name", "head_id_number", "household_id", "H", "户主"
    )
    if household_id is None:
        errors.append((labels.get("head_name", "户主姓名"), "缺少户主姓名和身份证号（或家庭编号）"))
        raise RowFailed
    record = {"household_id": household_id}
    record.update({k: values[k] for k in ("place_code", "categories") if k in values})
    return record, []


def _build_person(imp: RowContext, spec, values, labels, errors):
    person_id, number = _person_identity(
        imp, values, labels, errors, "name", "id_number", "person_id", "P", "对象"
    )
    if person_id is None:
        errors.append((labels.get("name", "姓名"), "缺少姓名和身份证号（或对象编号）"))
        raise RowFailed
    record = {"person_id": person_id}
    record.update(
        {k: values[k] for k in ("place_code", "categories", "sex", "birth_year") if k in values}
    )
    if number is not None:
        # The ID number states sex and year of birth: fill them, and refuse a row that contradicts it.
        sex, year = pseudonym.id_sex(number), pseudonym.id_birth_year(number)
        if record.get("sex", sex) != sex:
            errors.append((labels["sex"], "性别与身份证号不符"))
        if record.get("birth_year", year) != year:
            errors.append((labels["birth_year"], "出生年份与身份证号不符"))
        if errors:
            raise RowFailed
        record["sex"], record["birth_year"] = sex, year
    household_id, extras = _household_ref(
        imp, values, labels, errors, values.get("place_code"), create=True
    )
    if household_id is not None:
        record["household_id"] = household_id
    return record, extras


def _person_ref(imp, values, labels, errors) -> str:
    person_id, _ = _person_identity(
        imp, values, labels, errors, "name", "id_number", "person_id", "P", "对象"
    )
    if person_id is None:
        errors.append((labels.get("name", "对象姓名"), "缺少对象姓名和身份证号（或对象编号）"))
        raise RowFailed
    if not imp.exists("person", person_id):
        column = labels.get("name") or labels.get("person_id")
        errors.append(
            (
                column,
                imp.missing_reason(
                    "person", person_id, "该对象", "请先导入对象名册（姓名、身份证号须与名册一致）"
                ),
            )
        )
        raise RowFailed
    return person_id


def _build_pairing(imp: RowContext, spec, values, labels, errors):
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["pairing"].columns}
    record["person_id"] = _person_ref(imp, values, labels, errors)
    return record, []


def _build_contact(imp: RowContext, spec, values, labels, errors):
    record = {k: values[k] for k in ("date", "mode")}
    pairing_id = values.get("pairing_id")
    if pairing_id is not None:
        if not imp.exists("pairing", pairing_id):
            errors.append((labels["pairing_id"], f"找不到结对编号“{pairing_id}”"))
            raise RowFailed
    else:
        person_id = _person_ref(imp, values, labels, errors)
        pairing_id = _find_pairing(
            imp, person_id, values.get("org_id"), values["date"], labels, errors
        )
    record["pairing_id"] = pairing_id
    return record, []


def _find_pairing(imp, person_id, org_id, date, labels, errors) -> str:
    """The one pairing of a person (with an organisation) that was running on a date."""
    candidates = {}
    for pk, record in imp.catalog.existing("pairing").items():
        candidates[pk[0]] = record
    for pk, (record, _, _) in imp.batch.get("pairing", {}).items():
        candidates[pk[0]] = record
    found = [
        pid
        for pid, r in candidates.items()
        if r["person_id"] == person_id
        and (org_id is None or r["org_id"] == org_id)
        and r["start_date"] <= date
        and (r.get("end_date") is None or date <= r["end_date"])
    ]
    column = labels.get("name") or labels.get("person_id")
    if not found:
        errors.append((column, "该对象在此日期没有进行中的结对"))
        raise RowFailed
    if len(found) > 1:
        errors.append((column, "该对象在此日期有多个结对，请填写帮扶组织或结对编号"))
        raise RowFailed
    return found[0]


def _build_household_event(imp: RowContext, spec, values, labels, errors):
    """A visit or a screening: a record about a household."""
    record = {k: v for k, v in values.items() if k in RECORD_TABLES[spec.kind].columns}
    record.pop("place_code", None)
    household_id, extras = _household_ref(
        imp, values, labels, errors, values.get("place_code"), create=True
    )
    if household_id is None:
        errors.append((labels.get("head_name", "户主姓名"), "缺少户主姓名和身份证号（或家庭编号）"))
        raise RowFailed
    record["household_id"] = household_id
    return record, extras


def _build_recommendation(imp: RowContext, spec, values, labels, errors):
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["recommendation"].columns}
    ref = values["inspection_id"]
    if not imp.exists("inspection", ref):
        try:
            day = parse_date(ref)
        except ValueError:
            day = None
        found = []
        if day is not None:
            stored = imp.catalog.existing("inspection")
            found = [pk[0] for pk, r in stored.items() if r["date"] == day]
            found += [
                pk[0]
                for pk, (r, _, _) in imp.batch.get("inspection", {}).items()
                if r["date"] == day and pk[0] not in found
            ]
        if len(found) != 1:
            reason = (
                f"{day.isoformat()} 有多次视察，请填写视察编号"
                if len(found) > 1
                else f"找不到视察“{ref}”（可填视察编号或视察日期）"
            )
            errors.append((labels["inspection_id"], reason))
            raise RowFailed
        record["inspection_id"] = found[0]
    return record, []


def assign_recommendations(imp: RowContext, at: dt.datetime, by: str) -> int:
    """Assign each recommendation of the import that names a responsible organisation that is a
    unit (stored or imported with it) and has no unit yet (stored) to that organisation, with
    its due date: the rule of schema version 10 (`schema.first_unit`). Its `recommendation_unit`
    row joins the batch, so it is counted, reported and written in the import's one transaction;
    a recommendation the cycle already assigned keeps its units and deadlines; one naming an
    association waits for staff to assign it (交办). How many were assigned."""
    assigned = {pk[0] for pk in imp.catalog.existing("recommendation_unit")}
    kinds = {pk[0]: r.get("kind") for pk, r in imp.catalog.existing("org").items()}
    kinds |= {pk[0]: r.get("kind") for pk, (r, _, _) in imp.batch.get("org", {}).items()}
    units = vocab.unit_org_ids(kinds.items())
    n = 0
    for record, sheet, row in imp.batch.get("recommendation", {}).values():
        unit = first_unit(record, assigned, units=units, at=at, by=by)
        if unit is not None:
            key = (unit["rec_id"], unit["org_id"])
            imp.batch.setdefault("recommendation_unit", {})[key] = (unit, sheet, row)
            n += 1
    return n


def _build_referral(imp: RowContext, spec, values, labels, errors):
    """A referral of a case stored or accepted earlier; from its receiving body by default."""
    record = {k: v for k, v in values.items() if k in RECORD_TABLES["referral"].columns}
    case_id = values["case_id"]
    case = imp.catalog.existing("case").get((case_id,))
    batched = imp.batch.get("case", {}).get((case_id,))
    if batched is not None:
        case = batched[0]
    if case is None:
        errors.append(
            (
                labels["case_id"],
                imp.missing_reason(
                    "case", case_id, f"事项编号“{case_id}”", "请先导入该维权事项（或在同一文件中）"
                ),
            )
        )
        raise RowFailed
    record.setdefault("from_org_id", case["org_id"])
    received = case.get("received_date")
    if received is not None and record["date"] < received:
        errors.append((labels["date"], f"转介日期早于该事项的受理日期（{received:%Y-%m-%d}）"))
        raise RowFailed
    return record, []


_BUILDERS: dict[str, Callable] = {
    "place": _build_place,
    "org": _build_org,
    "household": _build_household,
    "person": _build_person,
    "pairing": _build_pairing,
    "contact": _build_contact,
    "visit": _build_household_event,
    "screening": _build_household_event,
    "event": _build_event,
    "recommendation": _build_recommendation,
    "referral": _build_referral,
}


def builder_for(kind: str) -> Callable:
    """The builder of a kind's records: `builder(imp, spec, values, labels, errors)` -> (record, extras)."""
    return _BUILDERS.get(kind, _build_plain)


# ===================================================================================== rules


def check_record(kind: str, record: dict) -> list[tuple[str, str]]:
    """The store's rules, checked on one record before writing: (column, reason in Chinese)."""
    problems = [(name, "缺少必填项") for name in _required(kind) if record.get(name) is None]

    if kind == "pairing":
        _order(record, problems, "start_date", "end_date", "结束日期")
    elif kind in ("visit", "screening"):
        _order(record, problems, "date", "follow_up_due", "跟进期限")
    elif kind == "case":
        _order(record, problems, "received_date", "closed_date", "办结日期")
        status, closed = record.get("status"), record.get("closed_date")
        if status == "open" and closed is not None:
            problems.append(("closed_date", "状态为办理中时不应填写办结日期"))
        if status in ("resolved", "referred") and closed is None:
            problems.append(("closed_date", "状态为已化解或已转介时须填写办结日期"))
    elif kind == "protection_measure":
        _order(record, problems, "date", "outcome_date", "结果日期")
        measure, outcome = record.get("measure"), record.get("outcome")
        allowed = vocab.MEASURE_OUTCOMES_OF.get(measure, ())
        if outcome is not None and allowed and outcome not in allowed:
            can_be = "、".join(vocab.label(vocab.MEASURE_OUTCOMES, o) for o in allowed)
            problems.append(
                ("outcome", f"{vocab.label(vocab.MEASURES, measure)}的结果只能是{can_be}")
            )
        if outcome == "pending" and record.get("outcome_date") is not None:
            problems.append(("outcome_date", "结果为办理中时不应填写结果日期"))
    elif kind == "referral" and record.get("from_org_id") is not None:
        if record["from_org_id"] == record.get("to_org_id"):
            problems.append(("to_org_id", "接收单位不能与转出单位相同"))
    elif kind == "claim":
        _order(record, problems, "period_start", "period_end", "截止日期")
        if (record.get("tolerance") or 0) < 0:
            problems.append(("tolerance", "容差不能为负数"))
    elif kind == "course":
        girls, attendance = record.get("girls"), record.get("attendance")
        if girls is not None and attendance is not None and girls > attendance:
            problems.append(("girls", f"女童人次（{girls}）大于总人次（{attendance}）"))
    elif kind == "place":
        lat, lon = record.get("lat"), record.get("lon")
        if lat is not None and not -90 <= lat <= 90:
            problems.append(("lat", "纬度应在 -90 到 90 之间"))
        if lon is not None and not -180 <= lon <= 180:
            problems.append(("lon", "经度应在 -180 到 180 之间"))
        lbc, children = record.get("left_behind_children"), record.get("children")
        if lbc is not None and children is not None and lbc > children:
            problems.append(("left_behind_children", "留守儿童数大于儿童数"))
    elif kind == "person":
        year = record.get("birth_year")
        if year is not None and not 1900 <= year <= 2100:
            problems.append(("birth_year", "出生年份应在 1900—2100"))
    return problems


def _order(record: dict, problems: list, first: str, second: str, what: str) -> None:
    """A date that must not come before another (`check_record`)."""
    a, b = record.get(first), record.get(second)
    if a is not None and b is not None and b < a:
        problems.append((second, f"{what}早于{_DATE_WORDS.get(first, first)}"))


@cache
def _required(kind: str) -> tuple[str, ...]:
    """The columns of a kind's table a record must fill (not null, no default)."""
    return tuple(
        c.name
        for c in RECORD_TABLES[kind].columns
        if not (c.nullable or c.default is not None or c.autoincrement is True)
    )


_DATE_WORDS = {
    "start_date": "开始日期",
    "date": "日期",
    "received_date": "受理日期",
    "period_start": "起始日期",
}


def future_dates(kind: str, values: dict, labels: dict, today: dt.date) -> list[tuple[str, str]]:
    """(column, why) for each date of an accepted row after the import day: likely a slip.

    Accepted all the same (a planned course may be entered ahead), but never the period a
    page opens on (hehu.figures.cache.default_period_key).
    """
    found = []
    for key in date_fields(kind):  # most registers have none
        value = values.get(key)
        if isinstance(value, dt.date) and value > today:
            found.append(
                (labels[key], f"日期 {value:%Y-%m-%d} 晚于导入当天（{today:%Y-%m-%d}），请核对")
            )
    return found


@cache
def date_fields(kind: str) -> tuple[str, ...]:
    """The keys of a kind's date fields."""
    return tuple(f.key for f in KIND_SPECS[kind].fields if f.parse == "date")
