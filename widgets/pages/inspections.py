"""The inspections page (视察与意见建议): record an inspection, follow its recommendations up.

A form records an inspection (date, committee, deputies, places and organisations visited,
summary), its findings and its recommendations in one save. Below it, the recommendations
bearing on a place (its own, those above and below it) with their status and responses, each
answerable in place; then the inspections so far. Several sessions may write at once: every
save is one transaction, and the lists reload from the store after each save or on 刷新.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from hehu import i18n
from hehu.clock import local_today, time_text
from hehu.disclosure import current_actor, current_role
from hehu.errors import HehuError
from hehu.figures.metrics import Records, load_records
from hehu.i18n import colon
from hehu.oversight.cycle import MAY, unit_summary, units_by_recommendation
from hehu.oversight.inspections import (
    inspections_frame,
    recommendation_history,
    recommendations_for_place,
    record_inspection,
    validate_inspection,
)
from hehu.records import vocab
from hehu.records.store import Store
from hehu.render.formatting import day_text, units_text
from hehu.render.units import unit_summary_html
from widgets.kit.common import (
    error_box,
    failure_page,
    html_text,
    page_language,
    page_records,
    page_shell,
    page_store,
    query_params,
)
from widgets.kit.inspection_docs import InspectionDocuments
from widgets.kit.pickers import PlacePicker, place_options

TEXT: dict[str, tuple[str, str]] = {
    "title": ("视察与意见建议", "Inspections and recommendations"),
    "subtitle": (
        "记录视察、发现的问题和意见建议，跟踪每条建议的办理情况",
        "Record inspections, findings and recommendations; follow each recommendation up",
    ),
    "new_inspection": ("记录一次视察", "Record an inspection"),
    "date": ("视察日期", "Date"),
    "committee": ("牵头委员会", "Lead committee"),
    "deputies": ("参加人员", "Deputies"),
    "deputies_hint": ("工委委员、人大代表（可不写姓名）", "committee members and deputies"),
    "places": ("视察地点（可多选）", "Places visited (several)"),
    "orgs": ("被视察单位（可多选）", "Units inspected (several)"),
    "summary": ("视察情况", "Summary"),
    "findings": ("发现的问题（每行一条）", "Findings (one a line)"),
    "recommendations": ("意见建议", "Recommendations"),
    "rec_text": ("建议内容", "Recommendation"),
    "rec_place": ("涉及地点", "Place"),
    "rec_org": ("责任单位", "Responsible"),
    "rec_due": ("办理期限", "Due by"),
    "no_org": ("（未指定）", "(none)"),
    "add_rec": ("添加一条意见建议", "Add a recommendation"),
    "remove": ("删除", "Remove"),
    "save": ("保存视察记录", "Save the inspection"),
    "saved": (
        "已保存视察记录 {id}（{f} 条发现，{r} 条意见建议）。",
        "Saved {id} ({f} findings, {r} recommendations).",
    ),
    "fix_first": ("请先改正以下问题：", "Please fix first:"),
    "follow_up": ("意见建议办理情况", "Recommendations and their follow-up"),
    "place": ("地点", "Place"),
    "open_only": ("只看未办结", "Open only"),
    "refresh": ("刷新", "Refresh"),
    "pick_rec": ("选择意见建议", "Recommendation"),
    "status": ("办理状态", "Status"),
    "response": ("办理答复", "Response"),
    "cycle_hint": (
        "交办、承办单位答复、满意度测评和办结在",
        "Assigning, the units' answers, deputies' ratings and closing are on",
    ),
    "cycle_page": ("交办答复页", "the answers page"),
    "by_unit": ("各承办单位办理情况", "By unit"),
    "units_col": ("承办单位 · 答复 · 测评", "Units · answers · ratings"),
    "no_recs": ("暂无相关意见建议", "No recommendations here"),
    "overdue": ("逾期", "overdue"),
    "inspection_date": ("视察日期", "Inspected"),
    "relation": ("范围", "Scope"),
    "rel_self": ("本级", "this place"),
    "rel_above": ("上级", "above"),
    "rel_below": ("所辖", "places under it"),
    "history": ("办理记录", "History"),
    "no_history": ("暂无办理记录", "No follow-up yet"),
    "inspections": ("历次视察", "Inspections so far"),
    "col_places": ("地点", "Places"),
    "col_orgs": ("组织", "Organisations"),
    "col_findings": ("发现的问题", "Findings"),
    "n_recs": ("建议", "Recs"),
    "read_only": (
        "当前角色仅可查看，不能录入或修改。",
        "This role can read but not record or change anything.",
    ),
    "units_elsewhere": (
        "本页供人大代表和妇联工作人员使用。承办单位请在“交办答复”页查看和答复交办给本单位的意见建议。",
        "This page is for deputies and Federation staff. A unit sees and answers the "
        "recommendations assigned to it on the page Assignments and answers.",
    ),
    "counts": (
        "未办结 {open} 条，其中逾期 {overdue} 条",
        "{open} open, {overdue} overdue",
    ),
}


# The committee that led the source's inspection: a name (stored as written), not interface text.
DEFAULT_COMMITTEE = "县人大常委会教科文卫委"
STATUS_COLOURS = {"open": "#9a3412", "in_progress": "#1d4ed8", "done": "#166534"}

# Tables keep their columns readable and scroll sideways inside their frame on a phone.
CSS = """
<style>
table.hehu-wide { min-width: 720px; }
table.hehu-wide td.day { white-space: nowrap; }
</style>
"""


def t(key: str, lang: str, **values) -> str:
    """This page's text for a key."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def _messages_html(title: str, messages: list[str]) -> str:
    items = "".join(f"<li>{html_text(m)}</li>" for m in messages)
    return (
        f'<div class="hehu-error" data-hehu="validation"><b>{html_text(title)}</b>'
        f'<ul class="hehu-list">{items}</ul></div>'
    )


def _ok_html(message: str) -> str:
    return (
        '<div class="hehu-banner" data-hehu="saved" style="background:#e7f6ea;'
        f'border-color:#8cc79a;color:#14532d">{html_text(message)}</div>'
    )


def _org_options(records: Records, lang: str, none: bool) -> list[tuple[str, str | None]]:
    orgs = records["org"].sort_values(["level", "name"])
    options = [(f"{r.name}", r.org_id) for r in orgs.itertuples()]
    # "" rather than None: a Dropdown shows no label at all for the value None.
    return ([(t("no_org", lang), "")] if none else []) + options


class RecommendationRow(w.VBox):
    """One recommendation being written: text, place, responsible organisation, due date."""

    def __init__(self, records: Records, lang: str, place: str, on_remove):
        self.text = w.Textarea(
            placeholder=t("rec_text", lang), layout=w.Layout(width="100%", height="60px")
        )
        self.place = PlacePicker(records, lang, value=place, description=t("rec_place", lang))
        self.org = w.Dropdown(
            options=_org_options(records, lang, none=True),
            value="",
            description=t("rec_org", lang),
        )
        self.due = w.DatePicker(description=t("rec_due", lang))
        self.remove = w.Button(description=t("remove", lang))
        for widget in (self.org, self.due):
            widget.style.description_width = "initial"
            widget.layout = w.Layout(width="auto", min_width="200px")
        self.remove.on_click(lambda _b: on_remove(self))
        fields = w.HBox(
            [self.place, self.org, self.due, self.remove],
            layout=w.Layout(flex_flow="row wrap"),
        )
        fields.add_class("hehu-controls")
        super().__init__(
            [self.text, fields],
            layout=w.Layout(border="1px solid #ddd", padding="6px", margin="4px 0"),
        )

    def is_blank(self) -> bool:
        """Nothing has been written in this row."""
        return not self.text.value.strip() and self.due.value is None and not self.org.value

    def as_dict(self) -> dict:
        """The recommendation as `record_inspection` takes it."""
        return {
            "text": self.text.value.strip(),
            "place_code": self.place.value,
            "responsible_org": self.org.value or None,
            "due_date": self.due.value,
        }


class InspectionForm(w.VBox):
    """The form that records one inspection with its findings and recommendations."""

    def __init__(self, page: InspectionsView):
        self.page = page
        lang = page.lang
        records = page.records
        self.date = w.DatePicker(value=local_today(), description=t("date", lang))
        committees = sorted(set(records["inspection"]["committee"].dropna())) or [DEFAULT_COMMITTEE]
        self.committee = w.Combobox(
            value=committees[0] if DEFAULT_COMMITTEE in committees else "",
            options=committees,
            description=t("committee", lang),
            ensure_option=False,
        )
        self.deputies = w.Text(
            description=t("deputies", lang), placeholder=t("deputies_hint", lang)
        )
        self.places = w.SelectMultiple(
            options=place_options(records, lang), rows=8, description=t("places", lang)
        )
        self.orgs = w.SelectMultiple(
            options=_org_options(records, lang, none=False), rows=8, description=t("orgs", lang)
        )
        self.summary = w.Textarea(
            description=t("summary", lang), layout=w.Layout(width="100%", height="80px")
        )
        self.findings = w.Textarea(
            description=t("findings", lang), layout=w.Layout(width="100%", height="80px")
        )
        self.rec_rows: list[RecommendationRow] = []
        self.rec_box = w.VBox(layout=w.Layout(width="100%"))
        self.add_rec = w.Button(description=t("add_rec", lang))
        self.save = w.Button(description=t("save", lang), button_style="primary")
        self.message = w.HTML()
        for widget in (self.date, self.committee, self.deputies, self.places, self.orgs):
            widget.style.description_width = "initial"
            widget.layout = w.Layout(width="auto", min_width="260px")
        for widget in (self.summary, self.findings):
            widget.style.description_width = "initial"
        self.add_rec.on_click(lambda _b: self.add_recommendation())
        self.places.observe(self._places_changed, names="value")
        self.save.on_click(lambda _b: self.submit())
        top = w.HBox(
            [self.date, self.committee, self.deputies],
            layout=w.Layout(flex_flow="row wrap"),
        )
        where = w.HBox([self.places, self.orgs], layout=w.Layout(flex_flow="row wrap"))
        for box in (top, where):
            box.add_class("hehu-controls")
        super().__init__(
            [
                w.HTML(f'<div class="hehu-section">{html_text(t("new_inspection", lang))}</div>'),
                w.HTML(
                    f'<div class="hehu-sub" data-hehu="no-personal">{html_text(i18n.t("no_personal_text", lang))}</div>'
                ),
                top,
                where,
                self.summary,
                self.findings,
                w.HTML(f"<b>{html_text(t('recommendations', lang))}</b>"),
                self.rec_box,
                self.add_rec,
                self.save,
                self.message,
            ],
            layout=w.Layout(width="100%"),
        )
        self.add_recommendation()

    def add_recommendation(self) -> RecommendationRow:
        """Add an empty recommendation row; its place defaults to the first place chosen."""
        place = self.places.value[0] if self.places.value else self.page.records.root
        row = RecommendationRow(self.page.records, self.page.lang, place, self._remove)
        self.rec_rows.append(row)
        self.rec_box.children = tuple(self.rec_rows)
        return row

    def _places_changed(self, change) -> None:
        # Rows still on the old default place follow the new first place; chosen ones stay.
        old = change["old"][0] if change["old"] else self.page.records.root
        new = change["new"][0] if change["new"] else self.page.records.root
        for row in self.rec_rows:
            if row.place.value == old:
                row.place.value = new

    def _remove(self, row: RecommendationRow) -> None:
        self.rec_rows.remove(row)
        self.rec_box.children = tuple(self.rec_rows)

    def values(self) -> dict:
        """What the form holds, as `record_inspection` takes it (blank rows left out)."""
        return {
            "date": self.date.value,
            "committee": self.committee.value,
            "deputies": self.deputies.value,
            "places": list(self.places.value),
            "orgs": list(self.orgs.value),
            "summary": self.summary.value,
            "findings": [line.strip() for line in self.findings.value.splitlines() if line.strip()],
            "recommendations": [r.as_dict() for r in self.rec_rows if not r.is_blank()],
        }

    def submit(self) -> str | None:
        """Validate and save; show what is wrong, in the page, or the saved id."""
        lang = self.page.lang
        if not may_record(self.page.role):  # a hidden button can still be sent a click
            return None
        values = self.values()
        problems = validate_inspection(self.page.records, **values)
        if problems:
            self.message.value = _messages_html(
                t("fix_first", lang), [p[1] if lang == "en" else p[0] for p in problems]
            )
            return None
        try:
            inspection_id = record_inspection(
                self.page.store, self.page.records, **values, actor=current_actor()
            )
        except HehuError as exc:
            self.message.value = error_box(exc.message(lang)).value
            return None
        self.clear()
        self.page.reload()
        # after the redraw: what sees 已保存 (a deputy, a browser test) sees the lists with it
        self.message.value = _ok_html(
            t(
                "saved",
                lang,
                id=inspection_id,
                f=len(values["findings"]),
                r=len(values["recommendations"]),
            )
        )
        return inspection_id

    def clear(self) -> None:
        """Empty the form for the next inspection (the committee stays)."""
        self.deputies.value = ""
        self.places.value = ()
        self.orgs.value = ()
        self.summary.value = ""
        self.findings.value = ""
        self.rec_rows = []
        self.add_recommendation()


class FollowUp(w.VBox):
    """Recommendations bearing on a place, and the editor for one recommendation's follow-up."""

    def __init__(self, page: InspectionsView):
        self.page = page
        lang = page.lang
        self.place = PlacePicker(page.records, lang, description=t("place", lang))
        self.open_only = w.Checkbox(value=True, description=t("open_only", lang), indent=False)
        self.refresh = w.Button(description=t("refresh", lang))
        self.counts = w.HTML()
        self.table = w.HTML(layout=w.Layout(width="100%"))
        self.pick = w.Dropdown(description=t("pick_rec", lang))
        self.units = w.HTML()
        self.history = w.HTML()
        self.pick.style.description_width = "initial"
        self.pick.layout = w.Layout(width="auto", min_width="260px", max_width="100%")
        controls = w.HBox(
            [self.place, self.open_only, self.refresh],
            layout=w.Layout(flex_flow="row wrap"),
        )
        controls.add_class("hehu-controls")
        # The cycle (交办, 答复, 测评, 办结) is the answers page's, where who acts is the signed-in
        # user's role (hehu.oversight.cycle.MAY): this page only reads it.
        query = "?lang=en" if lang == "en" else ""
        cycle_link = (
            f'<div class="hehu-sub" data-hehu="cycle-link">{html_text(t("cycle_hint", lang))} '
            f'<a href="cycle.ipynb{query}">{html_text(t("cycle_page", lang))}</a></div>'
        )
        super().__init__(
            [
                w.HTML(f'<div class="hehu-section">{html_text(t("follow_up", lang))}</div>'),
                controls,
                self.counts,
                self.table,
                w.HTML(cycle_link),
                self.units,
                self.pick,
                self.history,
            ],
            layout=w.Layout(width="100%"),
        )
        self.place.observe(lambda _c: self.redraw(), names="value")
        self.open_only.observe(lambda _c: self.redraw(), names="value")
        self.refresh.on_click(lambda _b: self.page.reload())
        self.pick.observe(lambda _c: self._show_pick(), names="value")
        self.redraw()

    def recommendations(self) -> pd.DataFrame:
        """The recommendations listed for the chosen place."""
        return recommendations_for_place(
            self.page.records, self.place.value, open_only=self.open_only.value
        )

    def redraw(self) -> None:
        """Redraw the table and the picker from the page's records."""
        lang = self.page.lang
        recs = self.recommendations()
        everything = recommendations_for_place(self.page.records, self.place.value)
        self.counts.value = (
            f'<div class="hehu-sub" data-hehu="rec-counts">'
            f"{html_text(t('counts', lang, open=len(everything), overdue=int(everything['overdue'].sum())))}</div>"
        )
        self.table.value = self._table_html(recs)
        summary = unit_summary(self.page.records, role=self.page.role, lang=lang)
        table = unit_summary_html(summary, lang, "inspection-units")
        self.units.value = (
            f'<div class="hehu-section">{html_text(t("by_unit", lang))}</div>{table}'
            if table
            else ""
        )
        previous = self.pick.value
        options = [
            (f"{day_text(r.inspection_date)} · {r.place_name} · {r.text[:24]}", r.rec_id)
            for r in recs.itertuples()
        ]
        self.pick.options = options
        ids = [o[1] for o in options]
        if previous in ids:
            self.pick.value = previous
        elif ids:
            self.pick.value = ids[0]
        self._show_pick()

    def _table_html(self, recs: pd.DataFrame) -> str:
        lang = self.page.lang
        if recs.empty:
            return (
                f'<div class="hehu-sub" data-hehu="no-recs">{html_text(t("no_recs", lang))}</div>'
            )
        headers = ["inspection_date", "rec_place", "relation", "rec_text", "units_col", "rec_due"]
        headers += ["status", "response"]
        head = "".join(f"<th>{html_text(t(h, lang))}</th>" for h in headers)
        rows = []
        units = units_by_recommendation(self.page.records)
        for r in recs.itertuples():
            status = vocab.label(vocab.REC_STATUSES, r.status, lang)
            badge = (
                f'<span style="color:{STATUS_COLOURS.get(r.status, "#333")};font-weight:600">'
                f"{html_text(status)}</span>"
            )
            if r.overdue:
                badge += (
                    ' <span class="hehu-status" style="color:#fff;background:#b91c1c;'
                    f'padding:0 6px;border-radius:8px">{html_text(t("overdue", lang))}</span>'
                )
            cells = [
                day_text(r.inspection_date),
                r.place_name,
                t(f"rel_{r.relation}", lang),
                r.text,
                units_text(units.get(r.rec_id, []), lang)
                or (r.responsible_name if isinstance(r.responsible_name, str) else ""),
                day_text(r.due_date),
            ]
            rows.append(
                f'<tr data-rec="{html_text(r.rec_id)}" data-overdue="{int(r.overdue)}">'
                + "".join(
                    f'<td class="{"day" if n in (0, 5) else ""}">{html_text(c)}</td>'
                    for n, c in enumerate(cells)
                )
                + f"<td>{badge}</td><td>{html_text(r.response)}</td></tr>"
            )
        return (
            '<div class="hehu-table-wrap"><table class="hehu-table hehu-wide" data-hehu="recs-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )

    def _show_pick(self) -> None:
        lang = self.page.lang
        rec_id = self.pick.value
        if rec_id is None:
            self.history.value = ""
            return
        history = recommendation_history(self.page.records, rec_id)
        if history.empty:
            items = f"<li>{html_text(t('no_history', lang))}</li>"
        else:
            items = "".join(
                f"<li>{html_text(time_text(h.at, lang))} · "
                f"{html_text(h.actor)} · {html_text(vocab.label(vocab.REC_ENTRY_KINDS, h.kind, lang))}"
                + (
                    f" · {html_text(vocab.label(vocab.RATINGS, h.rating, lang))}"
                    if isinstance(h.rating, str)
                    else f" · {html_text(vocab.label(vocab.REC_STATUSES, h.status, lang))}"
                )
                + (f"{colon(lang)}{html_text(h.response)}" if h.response else "")
                + (
                    f"（{html_text(h.comment)}）"
                    if isinstance(h.comment, str) and h.comment
                    else ""
                )
                + "</li>"
                for h in history.itertuples()
            )
        self.history.value = (
            f'<div data-hehu="rec-history"><b>{html_text(t("history", lang))}</b>'
            f'<ul class="hehu-list">{items}</ul></div>'
        )


def may_record(role: str) -> bool:
    """Whether a role records inspections here (the cycle's rule, `MAY`)."""
    return role in MAY["record"]


class InspectionsView(w.VBox):
    """The whole page below its header: the form, the follow-up and the list of inspections."""

    def __init__(self, store: Store, records: Records, lang: str = "zh", role: str | None = None):
        self.store = store
        self.records = records
        self.lang = lang
        self.role = role or current_role()
        self.form = InspectionForm(self)
        self.follow_up = FollowUp(self)
        self.inspections = w.HTML(layout=w.Layout(width="100%"))
        self.documents = InspectionDocuments(store, records, self.role, lang)
        notice = []
        if not may_record(self.role):
            notice.append(
                w.HTML(f'<div class="hehu-banner">{html_text(t("read_only", lang))}</div>')
            )
            self.form.layout.display = "none"
        super().__init__(
            [
                w.HTML(CSS),
                *notice,
                self.form,
                self.follow_up,
                w.HTML(f'<div class="hehu-section">{html_text(t("inspections", lang))}</div>'),
                self.inspections,
                self.documents,
            ],
            layout=w.Layout(width="100%"),
        )
        self._draw_inspections()

    def reload(self) -> None:
        """Read the store again (after a save here or in another session) and redraw the lists."""
        self.records = load_records(self.store)
        self.follow_up.redraw()
        self._draw_inspections()
        self.documents.redraw(self.records)

    def _draw_inspections(self) -> None:
        lang = self.lang
        frame = inspections_frame(self.records, lang)
        if frame.empty:
            self.inspections.value = (
                f'<div class="hehu-sub">{html_text(i18n.t("no_inspections", lang))}</div>'
            )
            return
        findings = self.records["finding"]
        headers = ["date", "committee", "col_places", "col_orgs", "summary", "col_findings"]
        head = "".join(f"<th>{html_text(t(h, lang))}</th>" for h in headers)
        head += f'<th class="num">{html_text(t("n_recs", lang))}</th>'
        rows = []
        for r in frame.itertuples():
            texts = findings.loc[findings["inspection_id"] == r.inspection_id, "text"]
            finding_list = (
                '<ul class="hehu-list">'
                + "".join(f"<li>{html_text(x)}</li>" for x in texts)
                + "</ul>"
                if len(texts)
                else ""
            )
            rows.append(
                f'<tr data-inspection="{html_text(r.inspection_id)}">'
                f'<td class="day">{html_text(day_text(r.date))}</td><td>{html_text(r.committee)}</td>'
                f"<td>{html_text(r.place_names)}</td><td>{html_text(r.org_names)}</td>"
                f"<td>{html_text(r.summary)}</td><td>{finding_list}</td>"
                f'<td class="num">{r.recommendations}</td></tr>'
            )
        self.inspections.value = (
            '<div class="hehu-table-wrap"><table class="hehu-table hehu-wide" data-hehu="inspections-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )


def build_inspections_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The inspections page as one ipywidgets box (the notebook displays it)."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = t("title", lang)
    try:
        store = page_store(db_url)
        records = page_records(store)
        if current_role() not in MAY["see_all"]:  # a unit sees only its own, on its page
            notice = w.HTML(
                f'<div class="hehu-banner">{html_text(t("units_elsewhere", lang))}</div>'
            )
            return page_shell(
                f"{i18n.t('app', lang)} · {title}", t("subtitle", lang), records, lang, [notice]
            )
        view = InspectionsView(store, records, lang)
        place = params.get("place", "").strip()
        if place in {code for _, code in view.follow_up.place.options}:
            view.follow_up.place.value = place
    except HehuError as exc:
        return failure_page(title, lang, exc)
    page = page_shell(
        f"{i18n.t('app', lang)} · {title}", t("subtitle", lang), records, lang, [view]
    )
    page.view = view
    return page
