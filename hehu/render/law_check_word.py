"""A law-enforcement inspection as a Word draft: 关于……贯彻实施情况的执法检查报告（草稿）.

Laid out like every Word document of Hehu (hehu.render.word: A4, GB/T 9704-2012 fonts and
margins). Figures are those of the inspection (hehu.oversight.law_check), already disclosed for
the role it was run for: printed as they are, never judged small here.
"""

from __future__ import annotations

from hehu.clock import local_today
from hehu.disclosure import legend, sees_exact_counts
from hehu.figures.metrics import Records
from hehu.i18n import colon, metric_label, t
from hehu.oversight.law_check import STATUSES, DutyCheck, LawCheck
from hehu.records import vocab
from hehu.render.formatting import format_value
from hehu.render.word import fit_table, official_document, save_official

NUMERALS = "一二三四五六七八九十"
DEFAULT_ADDRESSEE = "县人大常委会"

TEXT: dict[str, tuple[str, str]] = {
    "title": (
        "关于{place}贯彻实施《妇女权益保障法》《反家庭暴力法》《未成年人保护法》情况的执法检查报告（草稿）",
        "Law-enforcement inspection of {place}: the Law on the Protection of Women's Rights "
        "and Interests, the Anti-Domestic Violence Law and the Law on the Protection of Minors "
        "(draft)",
    ),
    "opening": (
        "根据执法检查工作安排，检查组对{place}贯彻实施上述法律的情况进行了检查（统计期间：{period}）。"
        "现将各项法定职责的记录数据和检查情况报告如下。本稿数据取自呵护工作台的登记记录，"
        "检查发现和查阅材料由检查组填写，经核实后定稿。",
        "Following the inspection plan, the group inspected how {place} carried out these laws "
        "in the period {period}. For each duty the law sets, this draft gives the figures of the records "
        "kept in Hehu and what the group found and saw; it is final once checked.",
    ),
    "law_heading": ("{n}、《{law}》贯彻实施情况", "{n}. {law}"),
    "law_version": ("（{version}）", "({version})"),
    "basis": ("依据", "Basis"),
    "basis_unchecked": ("条款序号待核实", "article number to be checked"),
    "body": ("责任单位", "Responsible"),
    "evidence": ("记录数据", "Figures from the records"),
    "no_evidence": ("记录中暂无可印证本项职责的数据", "no figure in the records evidences it yet"),
    "registers": ("数据来源", "Records used"),
    "status": ("记录情况", "What the records show"),
    "findings": ("检查发现", "Findings"),
    "documents_seen": ("查阅材料", "Documents seen"),
    "documents_asked": ("应查阅材料", "Documents to ask for"),
    "to_fill": ("（待检查组填写）", "(to be filled in by the group)"),
    "question": ("建议询问", "Question to ask"),
    "no_records_heading": ("{n}、记录中无相关数据的职责", "{n}. Duties with no related records"),
    "to_verify_heading": ("{n}、需查阅材料核实的职责", "{n}. Duties to check from documents"),
    "table_heading": ("{n}、检查清单一览", "{n}. The checklist at a glance"),
    "law": ("法律", "Law"),
    "citation": ("条款", "Article"),
    "duty": ("职责", "Duty"),
    "made": (
        "生成日期 {day}；统计期间 {period}。",
        "Made on {day}; period {period}.",
    ),
    "data_note_exact": (
        "本稿含精确数字，仅供内部使用。",
        "This draft holds exact figures: for internal use only.",
    ),
}

KIND_LABELS: dict[str, tuple[str, str]] = {
    "place": ("地点", "places"),
    "org": ("组织", "organisations"),
    "household": ("家庭", "households"),
    "person": ("对象", "people"),
    "pairing": ("结对帮扶", "pairings"),
    "contact": ("帮扶联系", "contacts"),
    "course": ("女童保护课程", "courses"),
    "visit": ("入户走访", "visits"),
    "screening": ("风险排查", "screenings"),
    "case": ("维权事项", "rights cases"),
    "event": ("普法活动", "legal-awareness events"),
    "inspection": ("视察", "inspections"),
    "recommendation": ("意见建议", "recommendations"),
}


def _t(key: str, lang: str, **values) -> str:
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def _sep(lang: str) -> str:
    return "; " if lang == "en" else "；"


def _numeral(n: int, lang: str) -> str:
    return str(n) if lang == "en" else NUMERALS[n - 1]


def evidence_line(d: DutyCheck, lang: str = "zh") -> str:
    """The duty's figures in one line: "接访维权事项：2；化解率：50%" (as disclosed)."""
    if not d.evidence:
        return _t("no_evidence", lang)
    return _sep(lang).join(
        f"{metric_label(m, lang)}{colon(lang)}{format_value(v, m)}" for m, v in d.evidence.items()
    )


def _labelled(doc, label: str, text: str, lang: str) -> None:
    doc.add_paragraph(f"{label}{colon(lang)}{text}")


def _duty_section(doc, d: DutyCheck, number: int, check: LawCheck, lang: str) -> None:
    """One duty: its heading, basis, bodies, figures, status, the group's marks, a question."""
    zh = lang != "en"
    duty = d.duty
    law = check.checklist.law(duty.law)
    mark = f"（{_numeral(number, lang)}）" if zh else f"({number}) "
    doc.add_heading(f"{mark}{duty.duty if zh else duty.duty_en}", level=3)
    basis = f"《{law.full_name}》{duty.citation}" if zh else f"{law.en}, {duty.citation_in(lang)}"
    if not duty.article_checked:
        basis += f"（{_t('basis_unchecked', lang)}）" if zh else f" ({_t('basis_unchecked', lang)})"
    _labelled(doc, _t("basis", lang), basis, lang)
    _labelled(doc, _t("body", lang), duty.body_label(lang), lang)
    _labelled(doc, _t("evidence", lang), evidence_line(d, lang), lang)
    if duty.kinds:
        kinds = [vocab.label(KIND_LABELS, k, lang) for k in duty.kinds]
        _labelled(doc, _t("registers", lang), (", " if not zh else "、").join(kinds), lang)
    _labelled(doc, _t("status", lang), vocab.label(STATUSES, d.status, lang), lang)
    if duty.documents and zh:
        _labelled(doc, _t("documents_asked", lang), "；".join(duty.documents), lang)
    _labelled(doc, _t("findings", lang), d.findings or _t("to_fill", lang), lang)
    seen = (", " if not zh else "；").join(d.documents_seen)
    _labelled(doc, _t("documents_seen", lang), seen or _t("to_fill", lang), lang)
    _labelled(doc, _t("question", lang), duty.question if zh else duty.question_en, lang)


def _duty_list(doc, heading: str, duties: list[DutyCheck], lang: str) -> None:
    doc.add_heading(heading, level=2)
    if not duties:
        doc.add_paragraph(t("none", lang))
    for d in duties:
        text = d.duty.duty if lang != "en" else d.duty.duty_en
        if lang == "en":
            line = f"{text} ({d.duty.body_label(lang)})"
        else:
            line = f"《{d.duty.law}》{d.duty.citation}：{text}（{d.duty.body_label(lang)}）"
        doc.add_paragraph(line, style="List Bullet")


def _overview_table(doc, check: LawCheck, lang: str) -> None:
    zh = lang != "en"
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    heads = ("law", "citation", "duty", "body", "status")
    for cell, key in zip(table.rows[0].cells, heads, strict=True):
        cell.text = _t(key, lang)
    for d in check.duties:
        law = check.checklist.law(d.duty.law)
        cells = table.add_row().cells
        cells[0].text = law.name if zh else law.en
        cells[1].text = d.duty.citation_in(lang)
        cells[2].text = d.duty.duty if zh else d.duty.duty_en
        cells[3].text = d.duty.body_label(lang)
        cells[4].text = vocab.label(STATUSES, d.status, lang)
    fit_table(table, [26, 24, 60, 26, 20])


def law_check_docx(
    check: LawCheck, records: Records, lang: str = "zh", addressee: str = DEFAULT_ADDRESSEE
) -> bytes:
    """The inspection as a Word draft in the official layout: a section per law, a part per
    duty (its figures as disclosed to the inspection's role, the group's findings and documents
    seen), the duties with no records, and the checklist as a table."""
    zh = lang != "en"
    doc = official_document()
    if records.is_demo:
        doc.add_paragraph(t("demo_banner", lang))
    doc.add_heading(_t("title", lang, place=check.name), level=1)
    if zh:
        doc.add_paragraph(f"{addressee}：")  # 主送机关
    period = check.period.label(lang)
    doc.add_paragraph(_t("opening", lang, place=check.name, period=period))
    n = 0
    for n, (law, duties) in enumerate(check.by_law(), start=1):
        doc.add_heading(
            _t("law_heading", lang, n=_numeral(n, lang), law=law.name if zh else law.en), level=2
        )
        doc.add_paragraph(_t("law_version", lang, version=law.version if zh else law.version_en))
        for number, d in enumerate(duties, start=1):
            _duty_section(doc, d, number, check, lang)
    _duty_list(
        doc,
        _t("no_records_heading", lang, n=_numeral(n + 1, lang)),
        check.with_status("no_records"),
        lang,
    )
    _duty_list(
        doc,
        _t("to_verify_heading", lang, n=_numeral(n + 2, lang)),
        check.with_status("to_verify"),
        lang,
    )
    doc.add_heading(_t("table_heading", lang, n=_numeral(n + 3, lang)), level=2)
    _overview_table(doc, check, lang)
    doc.add_paragraph(_t("made", lang, day=local_today().isoformat(), period=period))
    doc.add_paragraph(
        _t("data_note_exact", lang) if sees_exact_counts(check.role) else legend(lang)
    )
    return save_official(doc)
