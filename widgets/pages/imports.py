"""The import page (导入登记表) for Women's Federation staff: upload, dry run, import, report.

The page's state is one `ImportSession`, which does the work through `hehu.importing`; the
widgets only turn clicks into calls on that one state object and redraw when the session changes.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import ipywidgets as w

from hehu import i18n
from hehu.disclosure import current_actor, current_role, sees_person_rows
from hehu.errors import HehuError
from hehu.importing import KIND_SPECS, ImportReport, import_file
from hehu.importing.report import read_output_file
from hehu.importing.upload import imports_dir, save_upload
from hehu.records.store import Store
from widgets.kit.common import (
    error_box,
    failure_page,
    html_text,
    page_language,
    page_shell,
    page_store,
)

TEXT: dict[str, tuple[str, str]] = {
    "title": ("导入登记表", "Import registers"),
    "subtitle": (
        "从 Excel 或 CSV 导入：先试导入检查，再正式导入；姓名和身份证号只生成假名编号，不保存",
        "From Excel or CSV: dry-run first, then import; names and ID numbers become pseudonyms "
        "and are not stored",
    ),
    "staff_only": (
        "导入页面仅供妇联工作人员使用（报告和待修正文件含个人信息）。",
        "The import page is for Women's Federation staff only (reports hold personal data).",
    ),
    "upload": ("选择文件", "Choose file"),
    "kind": ("记录类型", "Record kind"),
    "auto": ("自动识别（按表头）", "detect from the headers"),
    "dry_run": ("试导入（不写入）", "Dry run (writes nothing)"),
    "import": ("导入", "Import"),
    "hint": (
        "支持 .xlsx、.xls、.csv（UTF-8 或 GBK）。模板可用命令 hehu template 类型 生成。",
        "Accepts .xlsx, .xls and .csv (UTF-8 or GBK). Templates: hehu template KIND.",
    ),
    "no_file": ("请先选择文件", "Choose a file first"),
    "chosen": ("已选择：{name}", "Chosen: {name}"),
    "running": ("正在处理…", "Working…"),
    "dry_done": ("试导入完成：数据库未改动。", "Dry run done: the database is unchanged."),
    "import_done": (
        "导入完成，全部有效记录已一次写入。",
        "Import done: every valid record was written at once.",
    ),
    "refused": (
        "严格模式：有被拒绝的行，未写入任何数据。",
        "Strict: rows were rejected, nothing was written.",
    ),
    "read": ("读取行数", "rows read"),
    "accepted": ("通过", "accepted"),
    "rejected": ("拒绝", "rejected"),
    "skipped": ("跳过", "skipped"),
    "added": ("新增", "added"),
    "updated": ("更新", "updated"),
    "unchanged": ("无变化", "unchanged"),
    "written": ("写入", "written"),
    "notices": ("提示", "Notes"),
    "errors": ("被拒绝的行（前 {n} 条）", "Rejected rows (first {n})"),
    "warnings": (
        "已导入、请核对的行（前 {n} 条）",
        "Rows imported that need checking (first {n})",
    ),
    "sheet": ("工作表", "Sheet"),
    "row": ("行号", "Row"),
    "column": ("列", "Column"),
    "reason": ("原因", "Reason"),
    "report": ("导入报告", "Report"),
    "quarantine": (
        "待修正行（含个人信息，修改后可再次导入）",
        "Rows to fix (personal data; fix and re-import)",
    ),
    "download": ("下载", "download"),
    "saved_at": ("保存位置", "saved at"),
}
MAX_ERRORS_SHOWN = 200
MAX_DOWNLOAD_BYTES = 15 * 1024 * 1024  # larger files: the path only (a data: link gets too big)
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def t(key: str, lang: str, **values) -> str:
    """This page's text for a key."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


AUTO = "auto"  # the dropdown's "detect from the headers" (None would show as no selection)


def kind_options(lang: str) -> list[tuple[str, str]]:
    """The record-kind dropdown: automatic first, then every kind by its Chinese name."""
    options: list[tuple[str, str]] = [(t("auto", lang), AUTO)]
    for kind, spec in KIND_SPECS.items():
        options.append((f"{spec.zh} ({kind})" if lang == "en" else spec.zh, kind))
    return options


def summary_html(report: ImportReport, lang: str) -> str:
    """The figures of a report as cards, then the notes."""
    figures = [
        ("read", report.rows_read),
        ("accepted", report.accepted),
        ("rejected", report.rejected),
        ("skipped", report.skipped),
        ("added", report.count("added")),
        ("updated", report.count("updated")),
        ("unchanged", report.count("unchanged")),
        ("written", report.records_written),
    ]
    cards = "".join(
        f'<div class="hehu-card{" gap" if key == "rejected" and value else ""}" data-figure="{key}">'
        f'<div class="k">{html_text(t(key, lang))}</div><div class="v">{value}</div></div>'
        for key, value in figures
    )
    status = (
        "refused" if report.strict_refused else ("dry_done" if report.dry_run else "import_done")
    )
    parts = [
        f'<div class="hehu-sub" data-hehu="import-status">{html_text(t(status, lang))}</div>',
        f'<div class="hehu-cards">{cards}</div>',
    ]
    if report.notices:
        items = "".join(f"<li>{html_text(n)}</li>" for n in report.notices)
        parts.append(
            f'<div class="hehu-section">{html_text(t("notices", lang))}</div>'
            f'<ul class="hehu-list">{items}</ul>'
        )
    return "".join(parts)


def errors_html(report: ImportReport, lang: str) -> str:
    """The rejected rows, then the accepted rows to check (a date after the import day)."""
    return _rows_html(report.errors, "errors", "import-errors", lang) + _rows_html(
        report.warnings, "warnings", "import-warnings", lang
    )


def _rows_html(rows, heading: str, key: str, lang: str) -> str:
    """Rows as a table: sheet, row as Excel numbers it, column as written, reason."""
    if not rows:
        return ""
    shown = rows[:MAX_ERRORS_SHOWN]
    head = "".join(
        f"<th>{html_text(t(k, lang))}</th>" for k in ("sheet", "row", "column", "reason")
    )
    body = "".join(
        f"<tr><td>{html_text(e.sheet)}</td><td class='num'>{e.row}</td>"
        f"<td>{html_text(e.column)}</td><td>{html_text(e.reason)}</td></tr>"
        for e in shown
    )
    return (
        f'<div class="hehu-section">{html_text(t(heading, lang, n=len(shown)))}</div>'
        f'<table class="hehu-table" data-hehu="{key}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table>"
    )


def _download_link(path: Path, label: str, lang: str) -> str:
    link = ""
    if path.stat().st_size <= MAX_DOWNLOAD_BYTES:
        data = base64.b64encode(read_output_file(path)).decode("ascii")
        link = (
            f' <a download="{html_text(path.name)}" href="data:{XLSX_MIME};base64,{data}">'
            f"{html_text(t('download', lang))}</a>"
        )
    return (
        f"<li>{html_text(label)}{i18n.colon(lang)}{link} <span class='hehu-sub'>"
        f"{html_text(t('saved_at', lang))} {html_text(str(path))}</span></li>"
    )


def files_html(report: ImportReport, lang: str) -> str:
    """Links to download the report and the quarantine file, with where they are saved."""
    items = []
    if report.report_path:
        items.append(_download_link(report.report_path, t("report", lang), lang))
    if report.quarantine_path:
        items.append(_download_link(report.quarantine_path, t("quarantine", lang), lang))
    return f'<ul class="hehu-list" data-hehu="import-files">{"".join(items)}</ul>' if items else ""


class ImportSession:
    """The import page's one state object: the page observes it; all the work happens here.

    Listeners are called (with the session) on every change: a file chosen, progress, a result.
    """

    def __init__(self, store: Store, actor: str = "voila"):
        self.store = store
        self.actor = actor
        self.status = "idle"  # idle, ready, running, done, failed
        self.fraction = 0.0
        self.message = ""
        self.file_name: str | None = None
        self.report: ImportReport | None = None
        self.error: str | None = None
        self.error_en: str | None = None
        self._content: bytes | None = None
        self._saved: Path | None = None
        self._listeners: list[Callable[[ImportSession], None]] = []

    def observe(self, listener: Callable[[ImportSession], None]) -> None:
        """Call `listener(session)` after every change."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener(self)

    def set_file(self, file_name: str, content: bytes) -> None:
        """A file was chosen (uploaded); nothing is read or written yet."""
        self.file_name, self._content, self._saved = file_name, bytes(content), None
        self.status, self.report, self.error, self.error_en = "ready", None, None, None
        self.fraction, self.message = 0.0, ""
        self._changed()

    def _progress(self, fraction: float, message: str) -> None:
        self.fraction, self.message = fraction, message
        self._changed()

    def run(self, kind: str | None = None, dry_run: bool = True) -> ImportReport | None:
        """Dry-run or import the chosen file; the outcome lands in `report` or `error`."""
        if self._content is None or self.status == "running":
            return None
        self.status, self.report, self.error, self.error_en = "running", None, None, None
        self._progress(0.0, "开始")
        try:
            if self._saved is None:
                self._saved = save_upload(self.file_name, self._content)
            report = import_file(
                self.store,
                self._saved,
                kind=kind,
                dry_run=dry_run,
                report_dir=imports_dir(),
                actor=self.actor,
                progress=self._progress,
                name=Path(self.file_name).name,  # kept under a timestamped name: not the user's
            )
        except HehuError as exc:
            self.status, self.error, self.error_en = "failed", exc.zh, exc.en
            self._changed()
            return None
        except Exception as exc:  # noqa: BLE001 - the page must say what failed, not go silent
            self.status = "failed"
            self.error = f"导入时发生意外错误：{type(exc).__name__}: {exc}"
            self.error_en = f"unexpected error: {type(exc).__name__}: {exc}"
            self._changed()
            return None
        if report.committed and self._saved is not None:
            # Imported: the server's copy of the register (names, ID numbers) is no longer
            # needed; rejected rows live on in the quarantine file.
            self._saved.unlink(missing_ok=True)
            self._saved = None
        self.status, self.report = "done", report
        self._changed()
        return report


def build_import_page() -> w.VBox:
    """The import page: upload, kind, dry run, import, progress, report and file links."""
    lang = page_language()
    title = t("title", lang)
    try:
        store = page_store()
        role = current_role()
        banner = SimpleNamespace(is_demo=store.is_demo())  # only the demo flag is shown
        if not sees_person_rows(role):
            return page_shell(
                title, t("subtitle", lang), banner, lang, [error_box(t("staff_only", lang))]
            )
        session = ImportSession(store, actor=current_actor())  # who imports, for the audit log
    except HehuError as exc:
        return failure_page(title, lang, exc)
    return ImportPage(session, lang, banner).box


class ImportPage:
    """The widgets of the import page, redrawn from an `ImportSession`."""

    def __init__(self, session: ImportSession, lang: str, banner):
        self.session, self.lang = session, lang
        self.upload = w.FileUpload(
            accept=".xlsx,.xls,.csv", multiple=False, description=t("upload", lang)
        )
        self.kind = w.Dropdown(options=kind_options(lang), value=AUTO, description=t("kind", lang))
        self.dry_button = w.Button(description=t("dry_run", lang))
        self.import_button = w.Button(description=t("import", lang), button_style="primary")
        self.progress = w.FloatProgress(value=0.0, min=0.0, max=1.0, layout=w.Layout(width="100%"))
        self.status = w.HTML(f'<div class="hehu-sub">{html_text(t("hint", lang))}</div>')
        self.result = w.HTML()
        self.upload.observe(self._on_upload, names="value")
        self.dry_button.on_click(lambda _: self._run(dry_run=True))
        self.import_button.on_click(lambda _: self._run(dry_run=False))
        session.observe(self._render)
        controls = w.HBox([self.upload, self.kind, self.dry_button, self.import_button])
        controls.add_class("hehu-controls")
        self.box = page_shell(
            t("title", lang),
            t("subtitle", lang),
            banner,
            lang,
            [controls, self.progress, self.status, self.result],
        )
        self._render(session)

    def _on_upload(self, change) -> None:
        files = change["new"]
        if files:
            chosen = files[0]
            self.session.set_file(chosen["name"], bytes(chosen["content"]))

    def _run(self, dry_run: bool) -> None:
        if self.session.file_name is None:
            self.status.value = f'<div class="hehu-sub">{html_text(t("no_file", self.lang))}</div>'
            return
        kind = None if self.kind.value == AUTO else self.kind.value
        self.session.run(kind=kind, dry_run=dry_run)

    def _render(self, session: ImportSession) -> None:
        lang = self.lang
        busy = session.status == "running"
        self.dry_button.disabled = self.import_button.disabled = busy or session.file_name is None
        self.progress.value = session.fraction
        self.progress.bar_style = {"failed": "danger", "done": "success"}.get(session.status, "")
        if session.status == "failed":
            message = session.error_en if lang == "en" else session.error
            self.status.value = ""
            self.result.value = (
                f'<div class="hehu-error" data-hehu="error">{html_text(message)}</div>'
            )
            return
        if busy:
            line = f"{t('running', lang)} {session.message}"
            self.status.value = (
                f'<div class="hehu-sub" data-hehu="progress">{html_text(line)}</div>'
            )
            return
        if session.file_name:
            chosen = t("chosen", lang, name=session.file_name)
            self.status.value = f'<div class="hehu-sub">{html_text(chosen)}</div>'
        report = session.report
        self.result.value = (
            ""
            if report is None
            else summary_html(report, lang) + errors_html(report, lang) + files_html(report, lang)
        )
