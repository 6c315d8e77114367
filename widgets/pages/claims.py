"""The figure-check page (报告数据核对): a work report's figures against the records.

The shipped example (the 2022 report) is checked when the page opens; an uploaded CSV or xlsx
replaces it, and so do the claims proposed from a pasted paragraph once the user confirms them. Each claim shows a colour and a word for its status, and one click opens the
aggregated records behind it (pseudonymous rows too, for staff only).
"""

from __future__ import annotations

import ipywidgets as w
import pandas as pd

from hehu import i18n
from hehu.disclosure import current_role, is_hidden, legend, sees_person_rows
from hehu.errors import HehuError
from hehu.figures.metrics import Records
from hehu.oversight.claims import (
    BEHIND_COLUMNS,
    EXAMPLE_CLAIMS,
    STATUSES,
    ClaimResult,
    check_claims_file,
    disclosed_behind,
    disclosed_result,
    records_behind,
    status_label,
)
from hehu.records import vocab
from widgets.kit.claim_paste import ClaimPaste
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
from widgets.kit.maps import format_value

TEXT: dict[str, tuple[str, str]] = {
    "title": ("报告数据核对", "Figure check"),
    "subtitle": (
        "把工作报告中的数字与记录逐条核对：相符、在容差内、记录不支持或无相关记录",
        "Each figure of a work report recomputed from the records",
    ),
    "use_example": ("核对示例：2022 年涟水县调研报道", "Check the example: the 2022 report"),
    "upload": ("上传报告数据文件", "Upload a claims file"),
    "upload_hint": (
        "CSV 或 xlsx，列为：文件、指标、地点、起始日期、截止日期、数值、容差（可加“原文”）。"
        "指标填代码或中文名，地点填代码或名称；容差可写 5%。",
        "CSV or xlsx with columns document, metric, place, period_start, period_end, value, "
        "tolerance (and note). Metric: key or label; place: code or name; tolerance may be 5%.",
    ),
    "checked_file": ("已核对：{name}，共 {n} 条", "Checked: {name}, {n} claims"),
    "row": ("行", "Row"),
    "metric": ("指标", "Metric"),
    "place": ("地点", "Place"),
    "period": ("期间", "Period"),
    "claimed": ("报告数值", "Claimed"),
    "computed": ("记录核算", "From records"),
    "difference": ("差额", "Difference"),
    "status": ("结果", "Result"),
    "note": ("原文", "Source text"),
    "document": ("文件", "Document"),
    "behind": ("查看每条数字背后的记录（点击展开）", "Records behind each figure (click to open)"),
    "behind_sum": ("合计", "Total"),
    "no_rows": ("无记录", "no records"),
    "detail": ("明细（仅工作人员可见，最多 200 行）", "Rows (staff only, at most 200)"),
    "tolerance": ("容差", "tolerance"),
    "invalid_rows": (
        "有 {n} 行无法核对，原因见“结果”列。",
        "{n} rows could not be checked; see the Result column.",
    ),
}

STATUS_STYLE: dict[str, tuple[str, str, str]] = {
    # status: (mark, text colour, background): colour helps, the word and mark carry the meaning
    "matched": ("✓", "#14532d", "#dcfce7"),
    "within_tolerance": ("≈", "#713f12", "#fef3c7"),
    "not_supported": ("✗", "#7f1d1d", "#fee2e2"),
    "no_records": ("○", "#374151", "#e5e7eb"),
    "invalid": ("!", "#7c2d12", "#ffedd5"),
    "not_disclosed": ("—", "#374151", "#e5e7eb"),
    "period_not_offered": ("—", "#374151", "#e5e7eb"),
}

CSS = """
<style>
.hehu-status { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600;
  white-space: nowrap; }
.hehu-claims-note { color: #555; font-size: 12px; max-width: 28em; }
.hehu-chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0; }
table.hehu-claims { min-width: 640px; }
table.hehu-claims td.period { white-space: nowrap; }
@media (max-width: 600px) {
  /* On a phone the table scrolls sideways inside its frame; the long source text goes. */
  table.hehu-claims .note { display: none; }
}
</style>
"""


def t(key: str, lang: str, **values) -> str:
    """This page's text for a key."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


def status_badge(status: str, lang: str, extra: str = "") -> str:
    """A status as a coloured label with a mark and a word (readable without colour)."""
    mark, colour, background = STATUS_STYLE[status]
    return (
        f'<span class="hehu-status" data-status="{status}" style="color:{colour};'
        f'background:{background}">{mark} {html_text(status_label(status, lang))}</span>'
        + (f" {html_text(extra)}" if extra else "")
    )


def _metric_name(metric: str, lang: str) -> str:
    return i18n.metric_label(metric, lang) if metric in vocab.METRICS else metric


def _number(value, metric: str) -> str:
    """A claimed or computed value (already disclosed) as text."""
    if value is None:
        return "—"
    if is_hidden(value):
        return value
    if metric in vocab.METRICS and vocab.METRICS[metric][2] == "rate":
        return f"{value:.1%}"
    return format_value(value, metric) if metric in vocab.METRICS else str(value)


def _period_text(result: ClaimResult, lang: str) -> str:
    if not result.period_end:
        return result.period_start
    return f"{result.period_start} {'to' if lang == 'en' else '至'} {result.period_end}"


def results_html(results: list[ClaimResult], lang: str) -> str:
    """The results table: one row per claim (as disclosed), the status as colour plus text."""
    documents = sorted({r.document for r in results if r.document})
    headers = ["row", "metric", "place", "period", "claimed", "computed", "difference", "status"]
    if len(documents) > 1:
        headers.insert(1, "document")
    headers.append("note")
    numeric = {"row", "claimed", "computed", "difference"}

    def css(h: str) -> str:
        return f"{h} num" if h in numeric else h

    head = "".join(f'<th class="{css(h)}">{html_text(t(h, lang))}</th>' for h in headers)
    rows = []
    for r in results:
        difference = r.difference
        if difference is None:
            difference_text = "—"
        elif difference == 0:
            difference_text = "0"
        elif vocab.METRICS.get(r.metric, ("", "", ""))[2] == "rate":
            difference_text = f"{difference:+.1%}"
        else:
            difference_text = f"{difference:+,g}"
        extra = r.error
        if r.status == "within_tolerance":
            extra = f"（{t('tolerance', lang)} {r.tolerance:g}）"
        period = _period_text(r, lang)
        cells = {
            "row": str(r.row),
            "document": html_text(r.document),
            "metric": html_text(_metric_name(r.metric, lang)),
            "place": html_text(r.place_name or r.place_code),
            "period": html_text(period),
            "claimed": html_text(_number(r.claimed, r.metric)),
            "computed": html_text(_number(r.computed, r.metric)),
            "difference": html_text(difference_text),
            "status": status_badge(r.status, lang, extra),
            "note": f'<div class="hehu-claims-note">{html_text(r.note)}</div>',
        }
        row_cells = "".join(f'<td class="{css(h)}">{cells[h]}</td>' for h in headers)
        rows.append(f'<tr data-row="{r.row}" data-status="{r.status}">{row_cells}</tr>')
    document_line = (
        f'<div class="hehu-sub">{html_text(t("document", lang))}{i18n.colon(lang)}{html_text(documents[0])}</div>'
        if len(documents) == 1
        else ""
    )
    return (
        document_line
        + '<div class="hehu-table-wrap"><table class="hehu-table hehu-claims" data-hehu="claims-table">'
        + f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def summary_html(results: list[ClaimResult], lang: str) -> str:
    """How many claims got each status."""
    chips = [
        f"{status_badge(s, lang)} {sum(r.status == s for r in results)}"
        for s in STATUSES
        if any(r.status == s for r in results)
    ]
    return f'<div class="hehu-chips" data-hehu="claims-summary">{"".join(f"<span>{c}</span>" for c in chips)}</div>'


def frame_html(frame: pd.DataFrame, lang: str, totals: dict | None = None) -> str:
    """A drill-down frame as a table with labelled columns, and a total row when given."""
    if frame.empty:
        return f'<div class="hehu-sub">{html_text(t("no_rows", lang))}</div>'
    labels = {c: vocab.label(BEHIND_COLUMNS, c, lang) for c in frame.columns}
    numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    numeric += [c for c in frame.attrs.get("people_columns", []) if c not in numeric]
    head = "".join(
        f'<th class="{"num" if c in numeric else ""}">{html_text(labels[c])}</th>'
        for c in frame.columns
    )
    body = []
    for record in frame.to_dict("records"):
        body.append(
            "<tr>"
            + "".join(
                f'<td class="{"num" if c in numeric else ""}">{html_text(_cell(record[c]))}</td>'
                for c in frame.columns
            )
            + "</tr>"
        )
    if totals:
        first = frame.columns[0]
        body.append(
            '<tr data-hehu="total">'
            + "".join(
                f'<td class="{"num" if c in numeric else ""}"><b>'
                f"{html_text(t('behind_sum', lang) if c == first else _cell(totals.get(c)))}</b></td>"
                for c in frame.columns
            )
            + "</tr>"
        )
    return (
        '<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="behind-table">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def behind_html(records: Records, result: ClaimResult, lang: str, role: str) -> str:
    """The records behind one claim, as the role may see them."""
    if result.claim is None:
        return error_box(result.error).value
    if not sees_person_rows(role):
        frame = disclosed_behind(records, result.claim, role, lang)
        labels = {c: i18n.metric_label(c, lang) for c in frame.columns if c in vocab.METRICS}
        return frame_html(frame.rename(columns=labels), lang) + (
            f'<div class="hehu-foot">{html_text(legend(lang))}</div>'
        )
    frame = records_behind(records, result.claim, lang=lang)
    totals = {
        c: frame[c].sum()
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c]) and c != frame.columns[0]
    }
    detail = records_behind(records, result.claim, detail=True, lang=lang).head(200)
    return "".join(
        [
            frame_html(frame, lang, totals or None),
            f'<div class="hehu-sub">{html_text(t("detail", lang))}</div>',
            frame_html(detail, lang),
        ]
    )


class ClaimsView(w.VBox):
    """Source choice (example or upload), the results table and the per-claim drill-down."""

    def __init__(self, records: Records, lang: str = "zh", role: str | None = None):
        self.records = records
        self.lang = lang
        self.role = role or current_role()
        self.results: list[ClaimResult] = []
        self.example_button = w.Button(
            description=t("use_example", lang), layout=w.Layout(width="auto")
        )
        self.upload = w.FileUpload(
            accept=".csv,.xlsx,.xls",
            multiple=False,
            description=t("upload", lang),
            layout=w.Layout(width="auto"),
        )
        self.message = w.HTML()
        self.summary = w.HTML()
        self.table = w.HTML(layout=w.Layout(width="100%"))
        self.drilldown = w.Accordion(layout=w.Layout(width="100%"))
        # Or a paragraph pasted: its figures proposed, confirmed, then checked like a file.
        self.paste = ClaimPaste(records, self.check, lang)
        controls = w.HBox([self.example_button, self.upload], layout=w.Layout(flex_flow="row wrap"))
        controls.add_class("hehu-controls")
        super().__init__(
            [
                w.HTML(CSS),
                controls,
                w.HTML(f'<div class="hehu-sub">{html_text(t("upload_hint", lang))}</div>'),
                self.paste,
                self.message,
                self.summary,
                self.table,
                w.HTML(f'<div class="hehu-section">{html_text(t("behind", lang))}</div>'),
                self.drilldown,
            ],
            layout=w.Layout(width="100%"),
        )
        self.example_button.on_click(lambda _b: self.check_example())
        self.upload.observe(self._on_upload, names="value")
        self.drilldown.observe(self._open_claim, names="selected_index")

    def check_example(self) -> None:
        """Check the shipped example claims file."""
        self.check(EXAMPLE_CLAIMS, EXAMPLE_CLAIMS.name)

    def check(self, source, name: str) -> None:
        """Check a claims file (path or bytes) and show the results; file errors in the page."""
        try:
            results = check_claims_file(self.records, source, name)
        except HehuError as exc:
            self.message.value = error_box(exc.message(self.lang)).value
            return
        results = [disclosed_result(self.records, r, self.role) for r in results]
        self.results = results
        invalid = sum(r.status == "invalid" for r in results)
        message = f'<div class="hehu-sub" data-hehu="claims-file">{html_text(t("checked_file", self.lang, name=name, n=len(results)))}'
        if invalid:
            message += f"；{html_text(t('invalid_rows', self.lang, n=invalid))}"
        self.message.value = message + "</div>"
        self.summary.value = summary_html(results, self.lang)
        self.table.value = results_html(results, self.lang)
        self._fill_drilldown()

    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        upload = files[0]
        self.check(bytes(upload["content"]), upload["name"])

    def _fill_drilldown(self) -> None:
        # Children are filled when opened: most claims are never opened.
        self.drilldown.selected_index = None
        checkable = [r for r in self.results if r.claim is not None]
        self._checkable = checkable
        self.drilldown.children = [w.HTML() for _ in checkable]
        self.drilldown.titles = tuple(
            f"{t('row', self.lang)} {r.row} · {_metric_name(r.metric, self.lang)} · "
            f"{r.place_name} · {_period_text(r, self.lang)} · {status_label(r.status, self.lang)}"
            for r in checkable
        )

    def _open_claim(self, change) -> None:
        index = change["new"]
        if index is None:
            return
        child = self.drilldown.children[index]
        if not child.value:
            child.value = behind_html(self.records, self._checkable[index], self.lang, self.role)

    def open_claim(self, row: int) -> w.HTML:
        """Open the drill-down of the claim on a file row (as a click would); its widget."""
        index = next(i for i, r in enumerate(self._checkable) if r.row == row)
        self.drilldown.selected_index = index
        return self.drilldown.children[index]


def build_claims_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The figure-check page as one ipywidgets box (the notebook displays it)."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = t("title", lang)
    try:
        records = page_records(page_store(db_url))
        view = ClaimsView(records, lang)
        view.check_example()
    except HehuError as exc:
        return failure_page(title, lang, exc)
    page = page_shell(
        f"{i18n.t('app', lang)} · {title}", t("subtitle", lang), records, lang, [view]
    )
    page.view = view
    return page
