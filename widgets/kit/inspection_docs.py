"""The documents of an inspection from its page: the 视察报告 or 审议意见 draft and each unit's
交办单 as Word files, downloaded from the page (no server round trip), made with the role's
disclosure and written in the audit log under the person's name."""

from __future__ import annotations

import base64

import ipywidgets as w

from hehu.disclosure import current_actor
from hehu.errors import HehuError
from hehu.figures.metrics import Records
from hehu.i18n import audit_what, join_list
from hehu.oversight.inspection_report import inspection_document
from hehu.oversight.inspections import inspections_frame
from hehu.records.store import Store
from hehu.render.html import html_text
from hehu.render.inspection_word import assignment_docx, inspection_docx

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

TEXT: dict[str, tuple[str, str]] = {
    "title": ("视察文书", "Inspection documents"),
    "inspection": ("视察", "Inspection"),
    "kind": ("文书", "Document"),
    "report": ("视察报告（草稿）", "Inspection report (draft)"),
    "opinion": ("审议意见（草稿）", "Deliberation opinions (draft)"),
    "make": ("生成 Word", "Make the Word files"),
    "sheet": ("交办单：{unit}", "Assignment: {unit}"),
    "made": ("已生成，点击下载：", "Made; click to download:"),
}


def _t(key: str, lang: str, **values) -> str:
    zh, en = TEXT[key]
    return (en if lang == "en" else zh).format(**values)


def docx_link(data: bytes, file_name: str, label: str) -> str:
    """An <a download> link carrying a .docx file."""
    payload = base64.b64encode(data).decode("ascii")
    return (
        f'<a data-hehu="docx" download="{html_text(file_name)}" '
        f'href="data:{DOCX_MIME};base64,{payload}">{html_text(label)}</a>'
    )


class InspectionDocuments(w.VBox):
    """Choose an inspection and a document; the draft and every unit's 交办单 as downloads."""

    def __init__(self, store: Store, records: Records, role: str, lang: str):
        self.store, self.records, self.role, self.lang = store, records, role, lang
        self.inspection = w.Dropdown(description=_t("inspection", lang))
        self.kind = w.Dropdown(
            options=[(_t("report", lang), "report"), (_t("opinion", lang), "opinion")],
            description=_t("kind", lang),
        )
        for control in (self.inspection, self.kind):
            control.style.description_width = "initial"
            control.layout = w.Layout(width="auto", min_width="240px", max_width="100%")
        self.make = w.Button(description=_t("make", lang))
        self.make.on_click(lambda _b: self.make_documents())
        self.links = w.HTML()
        controls = w.HBox([self.inspection, self.kind, self.make])
        controls.layout.flex_flow = "row wrap"
        controls.add_class("hehu-controls")
        super().__init__(
            [w.HTML(f'<div class="hehu-section">{html_text(_t("title", lang))}</div>'),
             controls, self.links],
            layout=w.Layout(width="100%"),
        )  # fmt: skip
        self.redraw(records)

    def redraw(self, records: Records) -> None:
        """The inspections to choose from, newest first (after a save, the new one too)."""
        self.records = records
        frame = inspections_frame(records, self.lang)
        previous = self.inspection.value
        self.inspection.options = [
            (f"{r.date:%Y-%m-%d} · {r.committee} · {r.place_names}", r.inspection_id)
            for r in frame.itertuples()
        ]
        ids = list(frame["inspection_id"])
        self.inspection.value = previous if previous in ids else (ids[0] if ids else None)
        self.links.value = ""

    def make_documents(self) -> list[str]:
        """Make the draft and the sheets; the file names offered for download."""
        lang, inspection_id = self.lang, self.inspection.value
        if not inspection_id:
            return []
        try:
            document = inspection_document(self.records, inspection_id, self.role)
            files = [
                (f"{_t(self.kind.value, lang)}-{inspection_id}.docx", _t(self.kind.value, lang),
                 inspection_docx(document, self.records, self.kind.value, lang)),
                *(
                    (f"交办单-{inspection_id}-{org_id}.docx", _t("sheet", lang, unit=name),
                     assignment_docx(document, org_id, self.records, lang))
                    for org_id, name in document.units()
                ),
            ]  # fmt: skip
            self.store.audit(
                "inspection_report",
                audit_what(
                    "inspection_report",
                    id=inspection_id,
                    kind=self.kind.value,
                    sheets=len(files) - 1,
                    role=self.role,
                ),  # fmt: skip
                places=";".join(code for code, _name in document.places),
                actor=current_actor(),
            )
        except HehuError as exc:
            self.links.value = (
                f'<div class="hehu-error" data-hehu="error">{html_text(exc.message(lang))}</div>'
            )
            return []
        self.links.value = (
            f'<div data-hehu="inspection-docs">{html_text(_t("made", lang))} '
            + join_list((docx_link(data, name, label) for name, label, data in files), lang)
            + "</div>"
        )
        return [name for name, _label, _data in files]
