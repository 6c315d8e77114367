"""An inspection's documents as Word drafts: 视察报告 or 审议意见, and a 交办单 for each unit.

Laid out like every Word document of Hehu (hehu.render.word: A4, GB/T 9704-2012 fonts and
margins). Figures come from hehu.oversight.inspection_report already disclosed for the role the
document is made for: printed as they are, never judged small here. Findings and
recommendations are the deputies' own words, printed as written.
"""

from __future__ import annotations

from hehu.clock import local_today
from hehu.disclosure import legend, sees_exact_counts
from hehu.figures.metrics import Records
from hehu.i18n import colon, join_list, metric_label, t
from hehu.oversight.claims.model import STATUSES as CLAIM_STATUSES
from hehu.oversight.inspection_report import InspectionDocument
from hehu.records import vocab
from hehu.render.formatting import day_text, format_value
from hehu.render.word import fit_table, official_document, save_official

NUMERALS = "一二三四五六七八九十"

# The two drafts: (title, addressee 主送, opening), Chinese and English.
KINDS: dict[str, dict[str, tuple[str, str]]] = {
    "report": {
        "title": (
            "关于{places}妇女儿童权益保护工作视察情况的报告（草稿）",
            "Report of the inspection of the protection of women and children in {places} (draft)",
        ),
        "addressee": ("县人大常委会", "The Standing Committee of the County People's Congress"),
        "opening": (
            "{day}，{committee}组织{deputies}对{places}妇女儿童权益保护工作进行了视察{orgs}。"
            "现将视察情况报告如下。",
            "On {day}, {committee} led {deputies} in an inspection of the protection of women "
            "and children in {places}{orgs}. This is the report of what it found.",
        ),
    },
    "opinion": {
        "title": (
            "关于{places}妇女儿童权益保护工作的审议意见（草稿）",
            "Deliberation opinions on the protection of women and children in {places} (draft)",
        ),
        "addressee": ("县人民政府", "The County People's Government"),
        "opening": (
            "{day}，{committee}组织{deputies}对{places}妇女儿童权益保护工作进行了视察{orgs}。"
            "根据视察情况，提出如下审议意见，请认真研究办理，并按期书面答复办理情况。",
            "On {day}, {committee} led {deputies} in an inspection of the protection of women "
            "and children in {places}{orgs}. From what it found, these are its opinions: please "
            "act on them and answer in writing by the deadlines.",
        ),
    },
}

TEXT: dict[str, tuple[str, str]] = {
    "deputies_default": ("人大代表", "deputies"),
    "orgs": ("，实地察看了{orgs}", ", visiting {orgs}"),
    "figures_heading": ("{n}、记录数据（{period}）", "{n}. Figures from the records ({period})"),
    "claims_heading": ("{n}、工作报告数字核对", "{n}. The work report's figures checked"),
    "no_claims": ("没有涉及视察地点的工作报告数字", "no work report figure concerns these places"),
    "findings_heading": ("{n}、发现的问题", "{n}. What the inspection found"),
    "addressed": ("（已整改）", " (addressed)"),
    "recommendations_heading": ("{n}、意见建议", "{n}. Recommendations"),
    "units": ("承办单位", "Units responsible"),
    "due": ("办理时限", "Deadline"),
    "no_unit": ("待交办", "not yet assigned"),
    "metric": ("指标", "Figure"),
    "claimed": ("报告数", "Claimed"),
    "computed": ("记录数", "In the records"),
    "result": ("核对结果", "Check"),
    "document": ("数字来源", "Source"),
    "period": ("期间", "Period"),
    "place": ("地点", "Place"),
    "made": ("生成日期 {day}；视察编号 {id}。", "Made on {day}; inspection {id}."),
    "data_note_exact": (
        "本稿含精确数字，仅供内部使用。",
        "This draft holds exact figures: for internal use only.",
    ),
    # 交办单
    "sheet_title": ("{committee}交办单", "Assignment from {committee}"),
    "sheet_number": ("编号：{id}", "Number: {id}"),
    "sheet_unit": ("承办单位：{unit}", "Unit responsible: {unit}"),
    "sheet_intro": (
        "{day}，{committee}对{places}妇女儿童权益保护工作进行了视察，提出以下意见建议，"
        "交由你单位办理：",
        "On {day}, {committee} inspected the protection of women and children in {places} and "
        "made these recommendations, assigned to your unit:",
    ),
    "sheet_number_col": ("序号", "No."),
    "sheet_text_col": ("意见建议", "Recommendation"),
    "sheet_requirement": (
        "办理要求：请在办理时限前书面答复办理情况（办理中、已办结，或不能办结并说明理由）；"
        "答复后由人大代表进行满意度测评，测评不满意的将重新办理。",
        "What to do: answer in writing by the deadline (in progress, done, or cannot be done "
        "with the reason); deputies then rate the answer, and an unsatisfactory one is reopened.",
    ),
    "sheet_from": ("交办单位：{committee}    交办日期：{day}", "From: {committee}    Date: {day}"),
    "sheet_none": ("该单位没有交办的意见建议", "nothing is assigned to this unit"),
}


def _t(key: str, lang: str, **values) -> str:
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def _kind_text(kind: str, key: str, lang: str, **values) -> str:
    zh, en = KINDS[kind][key]
    return (en if lang == "en" else zh).format(**values)


def _numeral(n: int, lang: str) -> str:
    return str(n) if lang == "en" else NUMERALS[n - 1]


def _places(d: InspectionDocument, lang: str) -> str:
    return join_list((name for _code, name in d.places), lang) or d.inspection_id


def _header_row(table, heads: list[str]) -> None:
    for cell, text in zip(table.rows[0].cells, heads, strict=True):
        cell.text = text


def _figures_table(doc, d: InspectionDocument, lang: str) -> None:
    """Headline figures: one row per figure, one column per place visited."""
    table = doc.add_table(rows=1, cols=1 + len(d.places))
    table.style = "Table Grid"
    _header_row(table, [_t("metric", lang), *(name for _code, name in d.places)])
    for metric in d.figures.columns:
        cells = table.add_row().cells
        cells[0].text = metric_label(metric, lang)
        for cell, code in zip(cells[1:], d.figures.index, strict=True):
            cell.text = str(format_value(d.figures.at[code, metric], metric))
    first = 60 if d.places else 156
    rest = (156 - first) / max(len(d.places), 1)
    fit_table(table, [first, *[rest] * len(d.places)])


def _claims_table(doc, d: InspectionDocument, lang: str) -> None:
    """Each claimed figure against the records, with its status, as the role may see it."""
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    heads = ("metric", "period", "claimed", "computed", "result")
    _header_row(table, [_t(h, lang) for h in heads])
    for r in d.claims:
        cells = table.add_row().cells
        cells[0].text = f"{r.place_name} {metric_label(r.metric, lang)}"
        cells[1].text = f"{r.period_start}–{r.period_end}"
        cells[2].text = str(format_value(r.claimed, r.metric))
        cells[3].text = str(format_value(r.computed, r.metric))
        cells[4].text = vocab.label(CLAIM_STATUSES, r.status, lang)
    fit_table(table, [46, 34, 22, 24, 30])
    for document in dict.fromkeys(r.document for r in d.claims):
        doc.add_paragraph(f"{_t('document', lang)}{colon(lang)}{document}")


def _units_line(units: list, lang: str) -> str:
    """承办单位：县妇联（办理时限2022年11月30日）、公安局 — each unit with its own deadline."""
    if not units:
        return f"{_t('units', lang)}{colon(lang)}{_t('no_unit', lang)}"
    open_, close = (" (", ")") if lang == "en" else ("（", "）")
    space = " " if lang == "en" else ""
    parts = [
        f"{name}{open_}{_t('due', lang)}{space}{day_text(due, lang)}{close}"
        if day_text(due)
        else name
        for _org, name, due in units
    ]
    return f"{_t('units', lang)}{colon(lang)}{join_list(parts, lang)}"


def inspection_docx(
    d: InspectionDocument, records: Records, kind: str = "report", lang: str = "zh"
) -> bytes:
    """The inspection's 视察报告 (`kind="report"`) or 审议意见 (`"opinion"`) as a Word draft:
    the figures of the places visited, the report's figures checked, findings, recommendations
    with their units and deadlines."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of inspection document: {kind}")
    zh = lang != "en"
    places = _places(d, lang)
    doc = official_document()
    if records.is_demo:
        doc.add_paragraph(t("demo_banner", lang))
    doc.add_heading(_kind_text(kind, "title", lang, places=places), level=1)
    doc.add_paragraph(f"{_kind_text(kind, 'addressee', lang)}{colon(lang)}")  # 主送机关
    orgs = _t("orgs", lang, orgs=join_list(d.org_names, lang)) if d.org_names else ""
    opening = _kind_text(
        kind,
        "opening",
        lang,
        day=day_text(d.date, lang),
        committee=d.committee,
        deputies=d.deputies or _t("deputies_default", lang),
        places=places,
        orgs=orgs,
    )
    doc.add_paragraph(opening)
    if d.summary:
        doc.add_paragraph(d.summary)
    n = 1
    doc.add_heading(
        _t("figures_heading", lang, n=_numeral(n, lang), period=d.period.label(lang)), level=2
    )
    _figures_table(doc, d, lang)
    n += 1
    doc.add_heading(_t("claims_heading", lang, n=_numeral(n, lang)), level=2)
    if d.claims:
        _claims_table(doc, d, lang)
    else:
        doc.add_paragraph(_t("no_claims", lang))
    n += 1
    doc.add_heading(_t("findings_heading", lang, n=_numeral(n, lang)), level=2)
    if d.findings.empty:
        doc.add_paragraph(t("none", lang))
    for f in d.findings.to_dict("records"):
        where = f"（{f['place_name']}）" if zh else f" ({f['place_name']})"
        addressed = _t("addressed", lang) if f["addressed"] else ""
        doc.add_paragraph(f"{f['text']}{where}{addressed}", style="List Number")
    n += 1
    doc.add_heading(_t("recommendations_heading", lang, n=_numeral(n, lang)), level=2)
    if d.recommendations.empty:
        doc.add_paragraph(t("none", lang))
    for number, r in enumerate(d.recommendations.to_dict("records"), start=1):
        mark = f"（{_numeral(number, lang)}）" if zh else f"({number}) "
        doc.add_paragraph(f"{mark}{r['text']}")
        doc.add_paragraph(_units_line(r["units"], lang))
    doc.add_paragraph(_t("made", lang, day=local_today().isoformat(), id=d.inspection_id))
    doc.add_paragraph(_t("data_note_exact", lang) if sees_exact_counts(d.role) else legend(lang))
    return save_official(doc)


def assignment_docx(
    d: InspectionDocument, org_id: str, records: Records, lang: str = "zh"
) -> bytes:
    """The 交办单 of one unit: the inspection's recommendations assigned to it, with deadlines
    and what the unit must do (answer in writing; deputies rate the answer)."""
    units = dict(d.units())
    unit = units.get(org_id) or str(records["org"].set_index("org_id")["name"].get(org_id, org_id))
    mine = d.recommendations_of(org_id)
    doc = official_document()
    if records.is_demo:
        doc.add_paragraph(t("demo_banner", lang))
    doc.add_heading(_t("sheet_title", lang, committee=d.committee), level=1)
    doc.add_paragraph(_t("sheet_number", lang, id=f"{d.inspection_id}-{org_id}"))
    doc.add_paragraph(_t("sheet_unit", lang, unit=unit))
    doc.add_paragraph(
        _t(
            "sheet_intro",
            lang,
            day=day_text(d.date, lang),
            committee=d.committee,
            places=_places(d, lang),
        )
    )
    if mine.empty:
        doc.add_paragraph(_t("sheet_none", lang))
    else:
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        _header_row(
            table, [_t("sheet_number_col", lang), _t("sheet_text_col", lang), _t("due", lang)]
        )
        for number, r in enumerate(mine.to_dict("records"), start=1):
            cells = table.add_row().cells
            cells[0].text = str(number)
            cells[1].text = r["text"]
            cells[2].text = day_text(r["due"], lang)
        fit_table(table, [16, 104, 36])
    doc.add_paragraph(_t("sheet_requirement", lang))
    doc.add_paragraph(
        _t("sheet_from", lang, committee=d.committee, day=day_text(local_today(), lang))
    )
    return save_official(doc)
