"""Law-enforcement inspection (执法检查): a checklist of the duties county bodies carry under the
妇女权益保障法, the 反家庭暴力法 and the 未成年人保护法, and an inspection run against it.

The checklist is data (law_checklist.toml beside this module, in Chinese with English). Each
duty names the metrics that evidence it; an inspection reads them for a place and a period
through the one definition (`metrics.place_metrics`) and shows them to a role as the briefing
does (`places.disclosed_place_figures`: a figure hidden from the role is its disclosure marker,
any other is the metric itself). The inspector's marks (findings, documents seen) are passed in;
they are not stored.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from hehu.disclosure import current_role, is_hidden, shows_some
from hehu.errors import HehuError
from hehu.figures.cache import period_choice_key
from hehu.figures.metrics import Period, Records, place_metrics
from hehu.figures.places import disclosed_place_figures
from hehu.importing.cells import chinese_numeral
from hehu.records import vocab
from hehu.records.schema import RECORD_TABLES

CHECKLIST_FILE = "law_checklist.toml"

# The bodies a duty may name: (Chinese, English).
BODIES: dict[str, tuple[str, str]] = {
    "县妇儿工委": ("县妇儿工委", "county working committee on women and children"),
    "县妇联": ("县妇联", "county Women's Federation"),
    "公安局": ("公安局", "public security bureau"),
    "检察院": ("检察院", "procuratorate"),
    "法院": ("法院", "court"),
    "司法局": ("司法局", "justice bureau"),
    "教体局": ("教体局", "education and sports bureau"),
    "民政局": ("民政局", "civil affairs bureau"),
    "乡镇/街道": ("乡镇/街道", "towns and subdistricts"),
}

# What the records say of a duty.
STATUSES: dict[str, tuple[str, str]] = {
    "recorded": ("有记录", "records found"),
    "no_records": ("无相关记录", "no related records"),
    "to_verify": ("待核实", "to be checked from documents"),
}

TEXT: dict[str, tuple[str, str]] = {
    "bad_file": ("执法检查清单有误：{where}：{what}", "law checklist error: {where}: {what}"),
    "unreadable": ("无法读取（{error}）", "unreadable ({error})"),
    "no_duties": ("没有任何职责条目", "no duty in it"),
    "missing": ("缺少“{field}”", "“{field}” is missing"),
    "bad_id": ("编号只能含字母、数字和连字符", "the id may hold letters, digits and hyphens only"),
    "duplicate": ("编号重复", "the id is used twice"),
    "unknown_law": ("未知的法律“{value}”", "unknown law “{value}”"),
    "unknown_metric": ("未知的指标“{value}”", "unknown metric “{value}”"),
    "unknown_kind": ("未知的记录种类“{value}”", "unknown record kind “{value}”"),
    "unknown_body": ("未知的责任单位“{value}”", "unknown body “{value}”"),
    "checked_without_article": (
        "标为已核对（article_checked = true）却没有条款序号",
        "marked as checked (article_checked = true) with no article",
    ),
    "entry": ("第 {n} 条职责（{id}）", "duty {n} ({id})"),
    "law_entry": ("第 {n} 部法律", "law {n}"),
    "unknown_duty": ("检查记录中有清单里没有的职责编号：{ids}", "marks for unknown duties: {ids}"),
}

_ID = re.compile(r"^[A-Za-z0-9-]+$")
_CITATION = re.compile(r"^第(?P<number>[零〇一二两三四五六七八九十百千]+)(?P<unit>[条章])")
DUTY_FIELDS = ("id", "law", "article_checked", "chapter", "duty", "duty_en", "body", "question")


class BadChecklist(HehuError):
    """A checklist file that cannot be used: one line naming the entry and what is wrong."""

    def __init__(self, where: tuple[str, str], what: tuple[str, str]):
        zh, en = TEXT["bad_file"]
        super().__init__(
            zh.format(where=where[0], what=what[0]), en.format(where=where[1], what=what[1])
        )


def _text(key: str, **values) -> tuple[str, str]:
    zh, en = TEXT[key]
    return zh.format(**values), en.format(**values)


@dataclass(frozen=True)
class Law:
    """One law of the checklist."""

    name: str
    full_name: str
    en: str
    version: str
    version_en: str = ""


@dataclass(frozen=True)
class Duty:
    """One duty of the checklist (see law_checklist.toml for its fields)."""

    id: str
    law: str
    article: str
    chapter: str
    article_checked: bool
    duty: str
    duty_en: str
    body: tuple[str, ...]
    metrics: tuple[str, ...]
    kinds: tuple[str, ...]
    documents: tuple[str, ...]
    question: str
    question_en: str

    @property
    def citation(self) -> str:
        """Where the duty is in its law: the article, else the chapter."""
        return self.article or self.chapter

    def citation_in(self, lang: str = "zh") -> str:
        """The citation in a language: 第十六条 / Article 16, 第三章 …… / Chapter 3."""
        if lang != "en":
            return self.citation
        found = _CITATION.match(self.citation)
        if not found:
            return self.citation
        number = chinese_numeral(found["number"])
        if number is None:
            return self.citation
        unit = "Article" if found["unit"] == "条" else "Chapter"
        return f"{unit} {number}"

    def body_label(self, lang: str = "zh") -> str:
        """The bodies responsible, in a language."""
        names = [vocab.label(BODIES, b, lang) for b in self.body]
        return ", ".join(names) if lang == "en" else "、".join(names)


@dataclass(frozen=True)
class Checklist:
    """The laws and their duties, in the file's order."""

    laws: tuple[Law, ...]
    duties: tuple[Duty, ...]

    def law(self, name: str) -> Law:
        """The law of that short name."""
        return next(law for law in self.laws if law.name == name)

    def duty(self, duty_id: str) -> Duty:
        """The duty of that id."""
        return next(d for d in self.duties if d.id == duty_id)


def load_checklist(path: str | Path | None = None) -> Checklist:
    """The checklist shipped with Hehu, or one from a file; BadChecklist if it is broken."""
    if path is None:
        text = resources.files("hehu.oversight").joinpath(CHECKLIST_FILE).read_text("utf-8")
        return parse_checklist(text, CHECKLIST_FILE)
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadChecklist((path.name, path.name), _text("unreadable", error=exc)) from exc
    return parse_checklist(text, path.name)


def parse_checklist(text: str, name: str = CHECKLIST_FILE) -> Checklist:
    """A checklist from TOML text, every entry checked; BadChecklist naming the first bad one."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadChecklist((name, name), _text("unreadable", error=exc)) from exc
    laws = []
    for n, entry in enumerate(data.get("law", []), start=1):
        where = _text("law_entry", n=n)
        for key in ("name", "full_name", "en", "version"):
            if not str(entry.get(key, "")).strip():
                raise BadChecklist(where, _text("missing", field=key))
        laws.append(Law(**{k: str(entry.get(k, "")) for k in Law.__dataclass_fields__}))
    entries = data.get("duty", [])
    if not entries:
        raise BadChecklist((name, name), _text("no_duties"))
    known_laws = {law.name for law in laws}
    duties, seen = [], set()
    for n, entry in enumerate(entries, start=1):
        duty = _duty(entry, _text("entry", n=n, id=entry.get("id", "?")), known_laws)
        if duty.id in seen:
            raise BadChecklist(_text("entry", n=n, id=duty.id), _text("duplicate"))
        seen.add(duty.id)
        duties.append(duty)
    return Checklist(tuple(laws), tuple(duties))


def _duty(entry: Mapping, where: tuple[str, str], laws: set[str]) -> Duty:
    """One [[duty]] checked: its fields there, its law, metrics, kinds and bodies known."""
    for key in DUTY_FIELDS:
        value = entry.get(key)
        if value is None or (isinstance(value, str | list) and not value):
            raise BadChecklist(where, _text("missing", field=key))
    if not _ID.match(str(entry["id"])):
        raise BadChecklist(where, _text("bad_id"))
    if entry["law"] not in laws:
        raise BadChecklist(where, _text("unknown_law", value=entry["law"]))
    lists = {k: tuple(str(v) for v in entry.get(k, [])) for k in ("body", "metrics", "kinds")}
    for key, known, problem in (
        ("metrics", vocab.METRICS, "unknown_metric"),
        ("kinds", RECORD_TABLES, "unknown_kind"),
        ("body", BODIES, "unknown_body"),
    ):
        for value in lists[key]:
            if value not in known:
                raise BadChecklist(where, _text(problem, value=value))
    article = str(entry.get("article", "")).strip()
    if entry["article_checked"] is True and not article:
        raise BadChecklist(where, _text("checked_without_article"))
    return Duty(
        id=str(entry["id"]),
        law=str(entry["law"]),
        article=article,
        chapter=str(entry["chapter"]),
        article_checked=entry["article_checked"] is True,
        duty=str(entry["duty"]),
        duty_en=str(entry["duty_en"]),
        body=lists["body"],
        metrics=lists["metrics"],
        kinds=lists["kinds"],
        documents=tuple(str(d) for d in entry.get("documents", [])),
        question=str(entry["question"]),
        question_en=str(entry.get("question_en", "")),
    )


# --------------------------------------------------------------------------- an inspection


@dataclass
class DutyCheck:
    """One duty as an inspection found it: its evidence as the role may see it, and the marks."""

    duty: Duty
    evidence: dict  # {metric: the metric's value, or a disclosure marker}
    status: str  # a key of STATUSES
    findings: str = ""
    documents_seen: tuple[str, ...] = ()


@dataclass
class LawCheck:
    """An inspection of a place against the checklist, for a period and a role."""

    code: str
    name: str
    period: Period
    role: str
    checklist: Checklist
    duties: list[DutyCheck] = field(default_factory=list)
    is_demo: bool = False

    def by_law(self) -> list[tuple[Law, list[DutyCheck]]]:
        """The duties grouped by law, in the checklist's order."""
        return [
            (law, [d for d in self.duties if d.duty.law == law.name]) for law in self.checklist.laws
        ]

    def with_status(self, status: str) -> list[DutyCheck]:
        """The duties the records put in a status."""
        return [d for d in self.duties if d.status == status]

    def frame(self, lang: str = "zh") -> pd.DataFrame:
        """One row per duty: law, citation, duty, bodies, status, evidence, marks."""
        zh = lang != "en"
        rows = []
        for d in self.duties:
            rows.append(
                {
                    "id": d.duty.id,
                    "law": d.duty.law,
                    "citation": d.duty.citation,
                    "article_checked": d.duty.article_checked,
                    "duty": d.duty.duty if zh else d.duty.duty_en,
                    "body": d.duty.body_label(lang),
                    "status": vocab.label(STATUSES, d.status, lang),
                    "evidence": dict(d.evidence),
                    "findings": d.findings,
                    "documents_seen": list(d.documents_seen),
                }
            )
        return pd.DataFrame(rows)

    def as_dict(self) -> dict:
        """The inspection as plain data (for --json)."""
        return {
            "place": self.code,
            "name": self.name,
            "period": period_choice_key(self.period),
            "role": self.role,
            "duties": self.frame().to_dict("records"),
        }


def duty_status(duty: Duty, evidence: Mapping) -> str:
    """What the shown figures say of a duty: something there, nothing there, or nothing the
    records can say (no figure evidences it, or its figures are hidden to protect others).
    Rates are read with their counts, never alone."""
    counted = [m for m in duty.metrics if vocab.METRICS[m][2] != "rate"]
    if not counted:
        return "to_verify"
    values = [evidence[m] for m in counted]
    if any(shows_some(v) for v in values):
        return "recorded"
    if all(not is_hidden(v) and v is not None and v == 0 for v in values):
        return "no_records"
    return "to_verify"


def evaluate_checklist(
    records: Records,
    place_code: str,
    period: Period,
    role: str | None = None,
    marks: Mapping[str, Mapping] | None = None,
    checklist: Checklist | None = None,
) -> LawCheck:
    """Run the checklist for a place and a period, as a role may see it.

    Each evidence figure is `place_metrics` of the place and period, or, where the role may
    not see it, the marker the briefing shows for it. `marks` are the inspector's:
    {duty id: {"findings": text, "documents": [what was seen]}}.
    """
    records.check_place(place_code)
    role = role or current_role()
    checklist = checklist or load_checklist()
    marks = dict(marks or {})
    unknown = sorted(set(marks) - {d.id for d in checklist.duties})
    if unknown:
        zh, en = _text("unknown_duty", ids="、".join(unknown))
        raise HehuError(zh, en.replace("、", ", "))
    exact = place_metrics(records, place_code, period)
    shown = disclosed_place_figures(records, period_choice_key(period), role).loc[place_code]
    check = LawCheck(
        code=place_code,
        name=str(records.places.set_index("code").at[place_code, "name"]),
        period=period,
        role=role,
        checklist=checklist,
        is_demo=records.is_demo,
    )
    for duty in checklist.duties:
        evidence = {m: shown[m] if is_hidden(shown[m]) else exact[m] for m in duty.metrics}
        mark = marks.get(duty.id, {})
        documents = mark.get("documents", ())
        check.duties.append(
            DutyCheck(
                duty=duty,
                evidence=evidence,
                status=duty_status(duty, evidence),
                findings=str(mark.get("findings", "") or "").strip(),
                documents_seen=(documents,) if isinstance(documents, str) else tuple(documents),
            )
        )
    return check
