"""The answers page (交办答复): the cycle of each recommendation, 交办 → 答复 → 满意度测评 → 办结.

Each user does here what their role may (hehu.oversight.cycle.MAY, the one table of it): a unit
(承办单位) sees only the recommendations assigned to it and answers them; deputies rate each
answer, and 不满意 reopens it with a new deadline; deputies and committee staff assign a
recommendation to units with deadlines and close it. Who acts is the signed-in user the server
put in the kernel (`Actor.current`), never something the page says. Every save is one
transaction; the page reads the store again after it, so two people answering at once both see
both answers. Per unit: answered, answered on time, ratings.
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
import traitlets

from hehu import i18n
from hehu.clock import time_text
from hehu.disclosure import current_role
from hehu.errors import HehuError
from hehu.figures.metrics import Records
from hehu.oversight import cycle
from hehu.oversight.cycle import Actor, may
from hehu.records import vocab
from hehu.records.store import Store
from hehu.render.formatting import day_text
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

TEXT: dict[str, tuple[str, str]] = {
    "title": ("交办答复", "Assignments and answers"),
    "subtitle": (
        "意见建议的交办、承办单位答复、代表满意度测评和办结",
        "Recommendations assigned to units, their answers, deputies' ratings, closing",
    ),
    "summary": ("各承办单位办理情况", "By unit"),
    "unit": ("承办单位", "Unit"),
    "list": ("意见建议", "Recommendations"),
    "open_only": ("只看未办结", "Open only"),
    "refresh": ("刷新", "Refresh"),
    "pick": ("意见建议", "Recommendation"),
    "pick_unit": ("承办单位", "Unit"),
    "no_recs": ("暂无意见建议", "No recommendations"),
    "no_units": ("尚未交办", "not assigned yet"),
    "rec": ("编号", "No."),
    "text": ("内容", "Recommendation"),
    "due": ("办理期限", "Deadline"),
    "state": ("状态", "State"),
    "answer_status": ("答复", "Answer"),
    "rating": ("测评", "Rating"),
    "overdue": ("逾期", "overdue"),
    "state_open": ("待答复", "awaiting answer"),
    "state_answered": ("已答复", "answered"),
    "history": ("办理记录", "History"),
    "no_history": ("暂无办理记录", "Nothing yet"),
    "at": ("时间", "When"),
    "who": ("操作人", "Who"),
    "entry": ("事项", "Entry"),
    "detail": ("内容", "Detail"),
    # forms
    "answer_form": ("答复办理情况", "Answer"),
    "answer_text": ("办理情况", "What was done"),
    "reason": ("不能办结的理由", "Why it cannot be done"),
    "submit_answer": ("提交答复", "Send the answer"),
    "rate_form": ("满意度测评", "Rate the answer"),
    "comment": ("意见", "Comment"),
    "new_due": ("新的办理期限（不满意时必填）", "New deadline (if unsatisfied)"),
    "submit_rating": ("提交测评", "Send the rating"),
    "assign_form": ("交办", "Assign"),
    "units": ("承办单位（可多选）", "Units (several)"),
    "submit_assign": ("交办", "Assign"),
    "close_form": ("办结", "Close"),
    "close_status": ("办结结果", "Outcome"),
    "submit_close": ("办结", "Close"),
    "status": ("状态", "Status"),
    "saved": ("已保存。", "Saved."),
    "finding_form": ("视察发现的问题", "Inspection findings"),
    "finding": ("发现的问题", "Finding"),
    "finding_rec": ("对应的意见建议", "Recommendation it led to"),
    "no_rec": ("（无）", "(none)"),
    "addressed": ("已解决", "Addressed"),
    "submit_finding": ("保存", "Save"),
    "finding_open": ("未解决", "open"),
    "read_only": ("当前角色仅可查看。", "This role can only read."),
}


def t(key: str, lang: str, **values) -> str:
    """This page's text for a key."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def _label(table: dict, key, lang: str) -> str:
    return (
        ""
        if key is None or (not isinstance(key, str) and pd.isna(key))
        else vocab.label(table, key, lang)
    )


class CycleState(traitlets.HasTraits):
    """The recommendation and unit chosen, and a counter bumped by every save (to re-read)."""

    rec_id = traitlets.Unicode("")
    org_id = traitlets.Unicode("")
    open_only = traitlets.Bool(True)
    saves = traitlets.Int(0)

    def __init__(self, store: Store, actor: Actor, **kwargs):
        super().__init__(**kwargs)
        self.store, self.actor = store, cycle.check_actor(actor)
        self.records: Records = page_records(store)

    def reread(self) -> None:
        """Read the store again (after a save, or someone else's)."""
        self.records = page_records(self.store)

    def recommendations(self) -> pd.DataFrame:
        """The recommendations this actor may see, one row per recommendation and unit."""
        records = self.records
        recs = records["recommendation"]
        if may(self.actor, "see_all"):
            a = cycle.assignments(records)
            keep = ["rec_id", "org_id", "unit_name", "due_date", "state", "answer_status",
                    "rating", "overdue"]  # fmt: skip
            rows = recs.drop(columns=["due_date"]).merge(a[keep], on="rec_id", how="left")
        else:
            rows = cycle.visible_recommendations(records, self.actor).rename(
                columns={"unit_id": "org_id"}
            )
            names = records["org"].set_index("org_id")["name"]
            rows["unit_name"] = rows["org_id"].map(names)
        if self.open_only:  # the one being looked at stays when it closes, so its close shows
            keep = rows["status"].isin(vocab.REC_OPEN_STATUSES) | (rows["rec_id"] == self.rec_id)
            rows = rows[keep]
        return rows.sort_values(["rec_id", "org_id"], na_position="first").reset_index(drop=True)


class CycleView(w.VBox):
    """The per-unit summary, the list, one recommendation's history and the forms its user may use."""

    def __init__(self, state: CycleState, lang: str):
        self.state, self.lang = state, lang
        actor = state.actor
        self.summary = w.HTML()
        self.open_only = w.Checkbox(value=state.open_only, description=t("open_only", lang))
        w.link((self.open_only, "value"), (state, "open_only"))
        self.refresh = w.Button(description=t("refresh", lang))
        self.refresh.on_click(lambda _b: self._saved(None))
        self.table = w.HTML()
        self.pick = w.Dropdown(description=t("pick", lang), layout=w.Layout(width="100%"))
        self.pick_unit = w.Dropdown(description=t("pick_unit", lang))
        self.pick.add_class("hehu-cycle-pick")  # for the browser tests and the page's style
        self.pick_unit.add_class("hehu-cycle-unit")
        self.history = w.HTML()
        self.message = w.HTML()
        forms = []
        # answer (a unit)
        self.answer_status = w.Dropdown(
            options=[(_label(vocab.REC_STATUSES, s, lang), s) for s in vocab.REC_ANSWER_STATUSES],
            description=t("status", lang),
        )
        self.answer_text = w.Textarea(placeholder=t("answer_text", lang))
        self.reason = w.Text(placeholder=t("reason", lang))
        self.submit_answer = w.Button(description=t("submit_answer", lang), button_style="primary")
        self.submit_answer.on_click(self._answer)
        if may(actor, "answer"):
            forms.append(self._form("answer_form", [self.answer_status, self.answer_text,
                                                    self.reason, self.submit_answer]))  # fmt: skip
        # rate (a deputy)
        self.rating = w.Dropdown(
            options=[(label, key) for key, (label, label_en) in vocab.RATINGS.items()]
            if lang != "en"
            else [(label_en, key) for key, (_l, label_en) in vocab.RATINGS.items()],
            description=t("rating", lang),
        )
        self.comment = w.Textarea(placeholder=t("comment", lang))
        self.new_due = w.DatePicker(description=t("new_due", lang))
        self.submit_rating = w.Button(description=t("submit_rating", lang), button_style="primary")
        self.submit_rating.on_click(self._rate)
        if may(actor, "rate"):
            forms.append(self._form("rate_form", [self.rating, self.comment, self.new_due,
                                                  self.submit_rating]))  # fmt: skip
        # assign and close (deputies, staff)
        units = cycle.units_frame(state.records["org"])
        self.units = w.SelectMultiple(
            options=[(r.name, r.org_id) for r in units.itertuples()],
            description=t("units", lang),
            rows=6,
        )
        self.assign_due = w.DatePicker(description=t("due", lang))
        self.submit_assign = w.Button(description=t("submit_assign", lang))
        self.submit_assign.on_click(self._assign)
        self.close_status = w.Dropdown(
            options=[(_label(vocab.REC_STATUSES, s, lang), s) for s in vocab.REC_CLOSED_STATUSES],
            description=t("close_status", lang),
        )
        self.close_comment = w.Text(placeholder=t("reason", lang))
        self.submit_close = w.Button(description=t("submit_close", lang))
        self.submit_close.on_click(self._close)
        self.finding = w.Dropdown(description=t("finding", lang), layout=w.Layout(width="100%"))
        self.finding_rec = w.Dropdown(description=t("finding_rec", lang))
        self.addressed = w.Checkbox(description=t("addressed", lang), indent=False)
        self.submit_finding = w.Button(description=t("submit_finding", lang))
        self.submit_finding.on_click(self._save_finding)
        self.finding.observe(self._finding_picked, names="value")
        if may(actor, "assign"):
            forms.append(self._form("assign_form", [self.units, self.assign_due,
                                                    self.submit_assign]))  # fmt: skip
        if may(actor, "close"):
            forms.append(self._form("close_form", [self.close_status, self.close_comment,
                                                   self.submit_close]))  # fmt: skip
        if may(actor, "finding"):
            forms.append(self._form("finding_form", [self.finding, self.finding_rec,
                                                     self.addressed, self.submit_finding]))  # fmt: skip
        for control in (self.finding_rec, self.pick_unit, self.answer_status, self.rating, self.new_due,
                        self.units, self.assign_due, self.close_status):  # fmt: skip
            control.style.description_width = "initial"
        for area in (self.answer_text, self.reason, self.comment, self.close_comment):
            area.layout = w.Layout(width="100%")
        if any(may(actor, a) for a in ("answer", "rate", "close")):  # the forms with text boxes
            hint = html_text(i18n.t("no_personal_text", lang))
            forms.insert(0, w.HTML(f'<div class="hehu-sub" data-hehu="no-personal">{hint}</div>'))
        if not forms:
            forms = [w.HTML(f'<div class="hehu-sub">{html_text(t("read_only", lang))}</div>')]
        controls = w.HBox([self.open_only, self.refresh])
        controls.add_class("hehu-controls")
        super().__init__(
            [
                w.HTML(f"<h3>{html_text(t('summary', lang))}</h3>"),
                self.summary,
                w.HTML(f"<h3>{html_text(t('list', lang))}</h3>"),
                controls,
                self.table,
                self.pick,
                self.pick_unit,
                self.history,
                self.message,
                *forms,
            ],
            layout=w.Layout(width="100%"),
        )
        self.pick.observe(self._picked, names="value")
        self.pick_unit.observe(self._unit_picked, names="value")
        state.observe(self._redraw, names=["open_only", "saves"])
        self._redraw()

    def _form(self, title: str, children: list) -> w.VBox:
        box = w.VBox(
            [w.HTML(f"<h4>{html_text(t(title, self.lang))}</h4>"), *children],
            layout=w.Layout(border="1px solid #ddd", padding="6px", margin="6px 0"),
        )
        box.add_class(f"hehu-{title.replace('_', '-')}")
        return box

    # ------------------------------------------------------------------ drawing

    def _redraw(self, _change=None) -> None:
        self._draw_summary()
        rows = self.state.recommendations()
        self._draw_table(rows)
        recs = rows.drop_duplicates("rec_id")
        options = [(f"{r.rec_id} · {str(r.text)[:30]}", r.rec_id) for r in recs.itertuples()]
        keep = self.state.rec_id if self.state.rec_id in set(recs["rec_id"]) else None
        self.pick.options = options
        self.pick.value = keep or (options[0][1] if options else None)
        self._picked()
        self._draw_findings()

    def _draw_summary(self) -> None:
        frame = cycle.unit_summary(self.state.records, role=current_role(), lang=self.lang)
        if not may(self.state.actor, "see_all"):  # a unit reads its own line only
            own = cycle.unit_id(self.state.records["org"], self.state.actor.unit)
            frame = frame[frame.index == own]
        self.summary.value = unit_summary_html(frame, self.lang, "cycle-units")

    def _draw_table(self, rows: pd.DataFrame) -> None:
        lang = self.lang
        if rows.empty:
            self.table.value = f'<div class="hehu-sub">{html_text(t("no_recs", lang))}</div>'
            return
        head = [t(k, lang) for k in ("rec", "text", "unit", "due", "state", "answer_status",
                                     "rating")]  # fmt: skip
        body = ""
        for r in rows.to_dict("records"):
            state = r.get("state")
            state_text = (
                t(f"state_{state}", lang) if isinstance(state, str) else t("no_units", lang)
            )
            if r.get("overdue") is True:
                state_text += f" · {t('overdue', lang)}"
            body += (
                f"<tr><td>{html_text(r['rec_id'])}</td><td>{html_text(r['text'])}</td>"
                f"<td>{html_text(r.get('unit_name') or '')}</td><td>{day_text(r.get('due_date'))}</td>"
                f"<td>{html_text(state_text)}</td>"
                f"<td>{html_text(_label(vocab.REC_STATUSES, r.get('answer_status'), lang))}</td>"
                f"<td>{html_text(_label(vocab.RATINGS, r.get('rating'), lang))}</td></tr>"
            )
        self.table.value = self._table_html("cycle", head, body)

    @staticmethod
    def _table_html(name: str, head: list[str], body: str) -> str:
        heads = "".join(f"<th>{html_text(h)}</th>" for h in head)
        return (
            f'<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="{name}">'
            f"<thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table></div>"
        )

    def _picked(self, _change=None) -> None:
        self.state.rec_id = self.pick.value or ""
        rows = self.state.recommendations()
        mine = rows[(rows["rec_id"] == self.state.rec_id) & rows["org_id"].notna()]
        options = [(str(r.unit_name), r.org_id) for r in mine.itertuples()]
        keep = self.state.org_id if self.state.org_id in {o for _, o in options} else None
        self.pick_unit.options = options
        self.pick_unit.value = keep or (options[0][1] if options else None)
        self._unit_picked()

    def _unit_picked(self, _change=None) -> None:
        self.state.org_id = self.pick_unit.value or ""
        self._draw_history()

    def _draw_history(self) -> None:
        lang, rec_id = self.lang, self.state.rec_id
        if not rec_id:
            self.history.value = ""
            return
        entries = cycle.history(self.state.records, rec_id, self.state.actor)
        names = self.state.records["org"].set_index("org_id")["name"]
        if entries.empty:
            self.history.value = f'<div class="hehu-sub">{html_text(t("no_history", lang))}</div>'
            return
        body = ""
        for e in entries.to_dict("records"):
            parts = [
                names.get(e.get("org_id"), "") if isinstance(e.get("org_id"), str) else "",
                _label(vocab.REC_STATUSES, e.get("status"), lang) if e["kind"] != "rate" else "",
                _label(vocab.RATINGS, e.get("rating"), lang),
                e.get("response") or "",
                e.get("comment") or "",
                day_text(e.get("due_date")),
            ]
            detail = " · ".join(str(p) for p in parts if p and not pd.isna(p))
            body += (
                f"<tr><td>{html_text(time_text(e['at'], lang))}</td>"
                f"<td>{html_text(e['actor'])}</td>"
                f"<td>{html_text(_label(vocab.REC_ENTRY_KINDS, e['kind'], lang))}</td>"
                f"<td>{html_text(detail)}</td></tr>"
            )
        head = [t(k, lang) for k in ("at", "who", "entry", "detail")]
        self.history.value = f"<h4>{html_text(t('history', lang))}</h4>" + self._table_html(
            "cycle-history", head, body
        )

    def _draw_findings(self) -> None:
        """The findings the actor may link or mark: every inspection's, newest first."""
        if not may(self.state.actor, "finding"):
            return
        records, lang = self.state.records, self.lang
        findings = records["finding"].merge(
            records["inspection"][["inspection_id", "date"]], on="inspection_id"
        )
        findings = findings.sort_values(["date", "finding_id"], ascending=False)
        options = [
            (
                f"{day_text(f['date'])} · {str(f['text'])[:30]}"
                f"{'' if pd.isna(f['addressed_at']) else ' · ' + t('addressed', lang)}",
                f["finding_id"],
            )
            for f in findings.to_dict("records")
        ]
        previous = self.finding.value
        self.finding.options = options
        ids = [o for _label, o in options]
        self.finding.value = previous if previous in ids else (ids[0] if ids else None)
        self._finding_picked()

    def _finding_picked(self, _change=None) -> None:
        records = self.state.records
        findings = records["finding"].set_index("finding_id")
        if self.finding.value is None or self.finding.value not in findings.index:
            self.finding_rec.options = []
            return
        row = findings.loc[self.finding.value]
        recs = records["recommendation"]
        recs = recs[recs["inspection_id"] == row["inspection_id"]]
        self.finding_rec.options = [(t("no_rec", self.lang), "")] + [
            (f"{r.rec_id} · {str(r.text)[:24]}", r.rec_id) for r in recs.itertuples()
        ]
        self.finding_rec.value = row["rec_id"] if isinstance(row["rec_id"], str) else ""
        self.addressed.value = not pd.isna(row["addressed_at"])

    def _save_finding(self, _button=None) -> None:
        self._do(
            lambda: cycle.update_finding(
                self.state.store, self.finding.value or "", actor=self.state.actor,
                rec_id=self.finding_rec.value or "", addressed=self.addressed.value,
            )
        )  # fmt: skip

    # ------------------------------------------------------------------ saving

    def _do(self, write) -> None:
        """Run one save; say what went wrong in the page's language, or re-read and redraw."""
        try:
            write()
        except HehuError as exc:
            self.message.value = error_box(exc.message(self.lang)).value
            return
        self._saved(t("saved", self.lang))

    def _saved(self, message: str | None) -> None:
        # redrawn first, then 已保存: a page (or a test) that sees the banner sees the new state
        self.message.value = ""
        self.state.reread()
        self.state.saves += 1
        if message:
            self.message.value = (
                f'<div class="hehu-banner" data-hehu="saved">{html_text(message)}</div>'
            )

    def _answer(self, _button=None) -> None:
        self._do(
            lambda: cycle.answer(
                self.state.store, self.state.rec_id, actor=self.state.actor,
                status=self.answer_status.value, response=self.answer_text.value,
                reason=self.reason.value,
            )
        )  # fmt: skip

    def _rate(self, _button=None) -> None:
        self._do(
            lambda: cycle.rate(
                self.state.store, self.state.rec_id, self.state.org_id, actor=self.state.actor,
                rating=self.rating.value, comment=self.comment.value,
                new_due_date=self.new_due.value,
            )
        )  # fmt: skip

    def _assign(self, _button=None) -> None:
        due = self.assign_due.value
        self._do(
            lambda: cycle.assign(
                self.state.store, self.state.rec_id, {unit: due for unit in self.units.value},
                actor=self.state.actor,
            )
        )  # fmt: skip

    def _close(self, _button=None) -> None:
        self._do(
            lambda: cycle.close(
                self.state.store, self.state.rec_id, actor=self.state.actor,
                status=self.close_status.value, comment=self.close_comment.value,
            )
        )  # fmt: skip


def build_cycle_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The answers page of the signed-in user (a unit answers, deputies rate, staff assign)."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = t("title", lang)
    try:
        state = CycleState(page_store(db_url), Actor.current())
        view = CycleView(state, lang)
    except HehuError as exc:
        return failure_page(title, lang, exc)
    page = page_shell(title, t("subtitle", lang), state.records, lang, [view])
    page.state, page.view = state, view
    return page
