"""The audit log page: staff read who imported, exported, edited or made a briefing. Nobody edits it."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
import traitlets

from hehu.clock import local_time, zone_label
from hehu.disclosure import current_role, sees_person_rows
from hehu.errors import HehuError
from hehu.i18n import audit_text
from hehu.records.store import Store
from hehu.render.html import html_text
from widgets.kit.common import (
    error_box,
    failure_page,
    page_language,
    page_shell,
    page_store,
    query_params,
)

TEXT = {
    "title": ("操作日志", "Audit log"),
    "sub": (
        "导入、导出、修改和生成简报的记录（只读）",
        "Imports, exports, edits and briefings (read-only)",
    ),
    "refused": (
        "操作日志仅供妇联工作人员和管理员查看。",
        "The audit log is for federation staff and administrators.",
    ),
    "action": ("操作", "Action"),
    "all": ("全部", "all"),
    "at": ("时间（{zone}）", "When ({zone})"),
    "actor": ("操作人", "Who"),
    "what": ("内容", "What"),
    "places": ("地点", "Places"),
    "shown": ("显示最近 {n} 条，共 {total} 条", "Showing the latest {n} of {total}"),
}
ACTIONS = {
    "import": ("导入", "import"),
    "export": ("导出", "export"),
    "edit": ("修改", "edit"),
    "briefing": ("生成简报", "briefing"),
    "account": ("账户", "account"),  # hehu.accounts: users added, passwords set, lock-outs
}
SHOW_AT_MOST = 500


def _t(key: str, lang: str, **values) -> str:
    zh, en = TEXT[key]
    return (en if lang == "en" else zh).format(**values)


class AuditState(traitlets.HasTraits):
    """Which kind of entry the page lists."""

    action = traitlets.Unicode("")

    def __init__(self, store: Store, **kwargs):
        super().__init__(**kwargs)
        self.store = store

    def entries(self) -> pd.DataFrame:
        """The log, newest first, filtered by action."""
        log = self.store.read("audit_log").sort_values("id", ascending=False)
        return log[log["action"] == self.action] if self.action else log


class AuditView(w.VBox):
    """A filter and the table of entries; there is no control that changes an entry."""

    def __init__(self, state: AuditState, lang: str):
        self.state, self.lang = state, lang
        options = [(_t("all", lang), "")] + [
            (zh if lang != "en" else en, key) for key, (zh, en) in ACTIONS.items()
        ]
        self.action_picker = w.Dropdown(options=options, value="", description=_t("action", lang))
        w.link((self.action_picker, "value"), (state, "action"))
        controls = w.HBox([self.action_picker])
        controls.add_class("hehu-controls")
        self.table = w.HTML(layout=w.Layout(width="100%"))
        super().__init__([controls, self.table], layout=w.Layout(width="100%"))
        state.observe(self._redraw, names=["action"])
        self._redraw()

    def _redraw(self, _change=None):
        log = self.state.entries()
        shown = log.head(SHOW_AT_MOST)
        head = "".join(
            f"<th>{html_text(_t(k, self.lang, zone=zone_label(self.lang)))}</th>"
            for k in ("at", "action", "actor", "what", "places")
        )
        rows = "".join(
            f"<tr><td>{local_time(r['at']):%Y-%m-%d %H:%M:%S}</td><td>{html_text(ACTIONS.get(r['action'], (r['action'], r['action']))[1 if self.lang == 'en' else 0])}</td>"
            f"<td>{html_text(r['actor'])}</td><td>{html_text(audit_text(r['what'], self.lang))}</td><td>{html_text(r['places'])}</td></tr>"
            for r in shown.to_dict("records")
        )
        self.table.value = (
            f'<div class="hehu-sub">{html_text(_t("shown", self.lang, n=len(shown), total=len(log)))}</div>'
            f'<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="audit"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'
        )


def build_audit_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The audit log page: staff and admin read it; deputies and presenters are told it is not theirs."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = _t("title", lang)
    if not sees_person_rows(current_role()):
        return page_shell(title, _t("sub", lang), None, lang, [error_box(_t("refused", lang))])
    try:
        state = AuditState(page_store(db_url))
        view = AuditView(state, lang)
    except HehuError as exc:
        return failure_page(title, lang, exc)
    page = page_shell(title, _t("sub", lang), None, lang, [view])
    page.state, page.view = state, view
    return page
