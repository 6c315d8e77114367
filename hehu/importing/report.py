"""The import report: what was read, accepted, rejected and written, and the files it leaves.

Every rejected row is reported with its row number as Excel shows it, the column header as
written in the file, and the reason in Chinese; rejected rows are copied to a quarantine
workbook beside the report so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hehu.importing.headers import QUARANTINE_REASON, QUARANTINE_ROW, header_label
from hehu.importing.kinds import KIND_SPECS
from hehu.importing.templates import write_xlsx


@dataclass
class RowError:
    """Why a row was rejected: the sheet, the row as Excel numbers it, the column as written."""

    sheet: str
    row: int
    column: str
    reason: str


@dataclass
class SheetResult:
    """What happened to one sheet."""

    name: str
    kind: str | None
    header_row: int | None = None
    columns: dict[str, str] = field(default_factory=dict)  # header as written -> field key
    ignored: list[str] = field(default_factory=list)
    personal_ignored: list[str] = field(default_factory=list)
    rows_read: int = 0
    accepted: int = 0
    rejected: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (row, why)
    header: list = field(default_factory=list)
    rejected_rows: list[tuple[int, list, str]] = field(default_factory=list)  # row, cells, reasons


@dataclass
class ImportReport:
    """The outcome of an import or a dry run, with everything the CLI and the page show."""

    source: str
    dry_run: bool
    kind: str | None
    started: dt.datetime
    finished: dt.datetime | None = None
    sheets: list[SheetResult] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # Rows accepted but worth a look (a date after the import day): same shape as errors.
    warnings: list[RowError] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # kind -> added/updated/…
    written: dict[str, int] = field(default_factory=dict)
    committed: bool = False
    # Written before the transaction commits: the report says so until it is written again
    # after the commit (a process killed in between leaves a report that does not claim it).
    pending: bool = False
    strict_refused: bool = False
    report_path: Path | None = None
    quarantine_path: Path | None = None

    @property
    def rows_read(self) -> int:
        """Data rows read (empty rows not counted)."""
        return sum(s.rows_read for s in self.sheets)

    @property
    def accepted(self) -> int:
        """Rows that passed every check."""
        return sum(s.accepted for s in self.sheets)

    @property
    def rejected(self) -> int:
        """Rows rejected (each has at least one error and is in the quarantine file)."""
        return sum(s.rejected for s in self.sheets)

    @property
    def skipped(self) -> int:
        """Rows skipped on purpose: totals, signature lines, repeated headers, duplicates."""
        return sum(len(s.skipped) for s in self.sheets)

    @property
    def records_written(self) -> int:
        """Records written to the store (0 for a dry run)."""
        return sum(self.written.values())

    def count(self, what: str) -> int:
        """Records added, updated or unchanged, over all kinds."""
        return sum(c.get(what, 0) for c in self.counts.values())

    def errors_frame(self) -> pd.DataFrame:
        """The row errors as a frame: 工作表, 行号, 列, 原因."""
        return pd.DataFrame(
            [(e.sheet, e.row, e.column, e.reason) for e in self.errors],
            columns=["工作表", "行号", "列", "原因"],
        )

    def warnings_frame(self) -> pd.DataFrame:
        """The row warnings (accepted rows to check) as a frame: 工作表, 行号, 列, 提示."""
        return pd.DataFrame(
            [(e.sheet, e.row, e.column, e.reason) for e in self.warnings],
            columns=["工作表", "行号", "列", "提示"],
        )

    @property
    def write_state(self) -> str:
        """Whether the records are in the database, as far as this report knows, in Chinese."""
        if self.pending:
            return "正在写入：若此处未改为“已写入”，写入可能未完成，请以审计日志中的导入记录为准"
        if self.committed:
            return "已写入"
        return "未写入任何数据"

    def summary_frame(self) -> pd.DataFrame:
        """One line per figure, in Chinese: what was read, accepted, rejected, written."""
        lines = [
            ("文件", self.source),
            ("方式", "试导入（未写入数据库）" if self.dry_run else "导入"),
            ("开始时间", self.started.strftime("%Y-%m-%d %H:%M:%S")),
            ("读取行数", self.rows_read),
            ("通过行数", self.accepted),
            ("拒绝行数", self.rejected),
            ("跳过行数", self.skipped),
            ("新增记录", self.count("added")),
            ("更新记录", self.count("updated")),
            ("无变化记录", self.count("unchanged")),
            ("写入记录", self.records_written),
            *([] if self.dry_run else [("写入状态", self.write_state)]),
            ("待核对行数", len({(w.sheet, w.row) for w in self.warnings})),
        ]
        for sheet in self.sheets:
            kind = KIND_SPECS[sheet.kind].zh if sheet.kind else "未识别"
            lines.append(
                (
                    f"工作表“{sheet.name}”",
                    f"{kind}：读取 {sheet.rows_read}，通过 {sheet.accepted}，拒绝 {sheet.rejected}",
                )
            )
        lines += [("提示", n) for n in self.notices]
        return pd.DataFrame(lines, columns=["项目", "内容"])

    def summary_text(self) -> str:
        """The summary the CLI prints."""
        mode = "试导入（未写入数据库）" if self.dry_run else "导入"
        text = [
            f"{mode}：{self.source}",
            f"读取 {self.rows_read} 行，通过 {self.accepted} 行，拒绝 {self.rejected} 行，"
            f"跳过 {self.skipped} 行",
            f"新增 {self.count('added')}，更新 {self.count('updated')}，"
            f"无变化 {self.count('unchanged')}，写入 {self.records_written} 条记录",
        ]
        text += [f"提示：{n}" for n in self.notices]
        text += [
            f"请核对：工作表“{w.sheet}”第 {w.row} 行“{w.column}”：{w.reason}"
            for w in self.warnings[:20]
        ]
        if len(self.warnings) > 20:
            text.append(f"另有 {len(self.warnings) - 20} 处待核对，见导入报告")
        return "\n".join(text)


# ===================================================================================== report files


def write_report_files(report: ImportReport, folder: Path, stem: str) -> None:
    """Write the report workbook and, if any row was rejected, the quarantine workbook beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = report.started.strftime("%Y%m%d-%H%M%S")
    mode = "试导入" if report.dry_run else "导入"
    report.report_path = folder / f"{stem}_{mode}报告_{stamp}.xlsx"
    errors = report.errors_frame()
    skipped = pd.DataFrame(
        [(s.name, row, why) for s in report.sheets for row, why in s.skipped],
        columns=["工作表", "行号", "原因"],
    )
    write_xlsx(
        {
            "汇总": report.summary_frame(),
            "错误明细": errors,
            "待核对": report.warnings_frame(),
            "跳过的行": skipped,
        },
        report.report_path,
    )
    # Row errors quote cells of the register: owner-only, like the quarantine file.
    report.report_path.chmod(0o600)
    rejected = [s for s in report.sheets if s.rejected_rows]
    if not rejected:
        report.quarantine_path = None
        return
    report.quarantine_path = folder / f"{stem}_待修正行_{stamp}.xlsx"
    sheets: dict[str, pd.DataFrame] = {}
    for sheet in rejected:
        width = max([len(sheet.header)] + [len(cells) for _, cells, _ in sheet.rejected_rows])
        header = [header_label(h) or f"列{i + 1}" for i, h in enumerate(sheet.header)]
        header += [f"列{i + 1}" for i in range(len(header), width)]
        header = _unique(header)
        rows = [
            [*(_blank_to_none(list(cells)) + [None] * (width - len(cells))), row, reasons]
            for row, cells, reasons in sheet.rejected_rows
        ]
        frame = pd.DataFrame(rows, columns=[*header, QUARANTINE_ROW, QUARANTINE_REASON])
        frame = frame.astype(object).where(frame.notna(), None)
        sheets[_unique_name(sheet.name, sheets)] = frame
    write_xlsx(sheets, report.quarantine_path)
    # The quarantine holds the names and ID numbers as written: readable by the owner only.
    report.quarantine_path.chmod(0o600)


def _blank_to_none(cells: list) -> list:
    return [None if isinstance(v, str) and v == "" else v for v in cells]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def _unique_name(name: str, taken) -> str:
    candidate, n = name[:28], 1
    while candidate in taken:
        n += 1
        candidate = f"{name[:25]}_{n}"
    return candidate


def read_output_file(path: str | Path) -> bytes:
    """The bytes of a report or quarantine file (for a download link on the import page)."""
    return Path(path).read_bytes()
