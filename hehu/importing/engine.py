"""The import run: read a file, find each sheet's kind and header, validate every row, write.

Names and ID-card numbers become pseudonymous IDs (`hehu.records.pseudonym`) and are dropped; every
valid row is written in ONE transaction (or nothing, for a dry run or a strict import with
rejected rows). `import_file` is the entry point.

Personal data outside the name and ID columns: every other cell is searched for an ID-card
or a mainland mobile number (`pseudonym.personal_numbers`, which says what counts). In a code column (`kinds.CODE_PREFIXES`: 对象编号, 家庭编号,
课程编号, …) the code is pseudonymised, as the ID column is: a keyed hash stands for it, the
same in every import, so that rows pointing at it still find their record and the number is
never stored. In any other column (主题, 场所, a count, a category, a place) the row is
refused, with its row and column and the reason PERSONAL_IN_TEXT, never the cell itself.
Control characters were dropped as the file was read; an accepted row says where.

The report files are written before the transaction: a report that cannot be written stops
the import with nothing written, and a failed transaction rewrites the report to say so.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator
from functools import cache
from operator import itemgetter
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from hehu.accounts import cli_actor
from hehu.clock import local_now, local_today, utc_now
from hehu.errors import HehuError, first_line
from hehu.i18n import audit_what
from hehu.importing.cells import (
    cell_text,
    fold,
    is_blank,
    parse_bool,
    parse_date,
    parse_id_number,
    parse_id_numbers,
    parse_int,
    parse_multi,
    parse_number,
    parse_vocab,
    parse_year,
    split_list,
    vocab_key,
)
from hehu.importing.headers import (
    PERSONAL_IGNORED,
    SILENTLY_IGNORED,
    SKIP_SHEET_NAMES,
    detect_header,
    header_label,
    is_complete,
    normalise_header,
)
from hehu.importing.kinds import (
    CODE_KINDS,
    CODE_PREFIXES,
    KIND_ORDER,
    KIND_SPECS,
    Field,
    KindSpec,
    derive_id,
    resolve_kind,
)
from hehu.importing.report import ImportReport, RowError, SheetResult, write_report_files
from hehu.importing.resolve import Catalog
from hehu.importing.rows import (
    RowFailed,
    assign_recommendations,
    builder_for,
    check_record,
    date_fields,
    future_dates,
)
from hehu.importing.sheet_rows import BLANK as _BLANK
from hehu.importing.sheet_rows import Refused as _Refused
from hehu.importing.sheet_rows import data_rows, distinct_codes, distinct_pairs, row_values
from hehu.importing.workbook import RawSheet, name_said, read_workbook
from hehu.records import pseudonym, vocab
from hehu.records.pseudonym import personal_numbers
from hehu.records.schema import RECORD_TABLES
from hehu.records.store import Store

Progress = Callable[[float, str], None]

PROGRESS_EVERY = 2000
# Test hook: seconds to sleep inside the write transaction (interrupted-import test).
PAUSE_ENV = "HEHU_TEST_PAUSE_IN_TRANSACTION"

# Why a cell holding an ID-card or mobile number outside its columns is refused (never echoed).
PERSONAL_IN_TEXT = "含身份证号/手机号，请删除后再导入"
CONTROLS_DROPPED = "已删除不可见的控制字符"


class Importer:
    """One import (or dry run) of one file into one store. Use `import_file` rather than this."""

    def __init__(
        self,
        store: Store,
        *,
        kind: str | None = None,
        dry_run: bool = False,
        strict: bool = False,
        actor: str | None = None,
        progress: Progress | None = None,
        today: dt.date | None = None,
    ):
        self.store = store
        self.today = today or local_today()  # dates after it are flagged (rows.future_dates)
        self.kind = resolve_kind(kind) if kind else None
        self.dry_run = dry_run
        self.strict = strict
        self.actor = actor or cli_actor()
        self.progress = progress or (lambda fraction, message: None)
        self.catalog: Catalog | None = None
        self._key: bytes | None = None
        # kind -> pk -> (record, sheet, row)
        self.batch: dict[str, dict[tuple, tuple[dict, str, int]]] = {}
        self.rejected_refs: dict[str, dict[str, tuple[str, int]]] = {}
        self.auto_households = 0

    # -- key ---------------------------------------------------------------------------------
    def key(self) -> bytes:
        """The pseudonymisation key; a dry run never creates the key file."""
        if self._key is None:
            key = pseudonym.load_key(create=not self.dry_run)
            if key is None:
                key = pseudonym.new_ephemeral_key()
            self._key = pseudonym.matching_key(key, self.store.get_meta(pseudonym.KEY_CHECK_META))
        return self._key

    # -- the whole run -----------------------------------------------------------------------
    def run(
        self, path: str | Path, report_dir: str | Path | None = None, name: str | None = None
    ) -> ImportReport:
        """Read, validate and (unless a dry run) write one file; write the report files. `name`
        is the file's name as its user knows it (an upload is kept under another)."""
        path = Path(path)
        # A file named after a person's number (课程_张三13912340000.xlsx) is said without it, in
        # the report, its file names and the page, as in the audit log.
        name, stem = name_said(name or path.name), name_said(path.stem)
        report = ImportReport(name, self.dry_run, self.kind, local_now())
        self.progress(0.0, "读取文件")
        started = time.perf_counter()
        sheets = read_workbook(path, name)
        self.progress(
            0.15, f"已读取 {len(sheets)} 个工作表（{time.perf_counter() - started:.1f} 秒）"
        )
        self.catalog = Catalog(self.store)
        plans = [(i, self._plan_sheet(sheet, report)) for i, sheet in enumerate(sheets)]
        plans = [(i, p) for i, p in plans if p is not None]
        if not plans:
            reasons = "；".join(report.notices) or "文件为空"
            raise HehuError(
                f"{name} 中没有可识别的记录表：{reasons}",
                f"no sheet of {name} could be recognised",
            )
        # Kinds in dependency order, so a sheet may point at records of an earlier sheet.
        plans.sort(key=lambda item: (KIND_ORDER.index(item[1][1].kind), item[0]))
        total_rows = sum(len(p[0].rows) for _, p in plans) or 1
        done = [0]
        for _, (raw, result, mapping) in plans:
            self._import_sheet(raw, result, mapping, report, done, total_rows)
        assigned = assign_recommendations(self, utc_now(), self.actor)  # 交办 to 责任单位
        self._count_changes(report)
        if assigned:
            report.notices.append(f"按责任单位交办意见建议 {assigned} 条")
        if report.rejected and self.strict:
            report.strict_refused = True
            report.notices.append("严格模式：存在被拒绝的行，未写入任何数据")
        records = None
        if not self.dry_run and not report.strict_refused:
            records = self._changed_records()
            # What the transaction will write, said in the report written before it.
            report.written = {k: len(v) for k, v in records.items() if v}
            report.committed = report.pending = True
        report.finished = local_now()
        self.progress(0.88, "生成导入报告")
        folder = Path(report_dir) if report_dir else path.parent
        # The report is written BEFORE the commit: a report that cannot be written stops the
        # import with nothing written, never after the rows went in (the user would be told
        # the import failed when it had not).
        estimated = {kind: dict(counts) for kind, counts in report.counts.items()}
        try:
            write_report_files(report, folder, stem)
        except Exception as exc:  # noqa: BLE001 - a full disk, a folder not writable, …
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            raise HehuError(
                f"无法写入导入报告（{first_line(reason)}），未写入任何数据",
                f"cannot write the import report ({first_line(exc)}); nothing was written",
            ) from None
        if records is not None:
            self.progress(0.9, "写入数据库")
            try:
                self._write(report, name, records)
            except HehuError as exc:  # the transaction rolled back: say so in the report too
                report.written, report.committed, report.pending = {}, False, False
                report.notices.append(f"写入失败，未写入任何数据：{exc.zh}")
                _rewrite_report(report, folder, stem)
                raise
            report.pending = False
            # Written again: "已写入" now, and the counts the transaction itself found (another
            # import may have written some of these meanwhile).
            _recount_report(report, folder, stem, estimated)
        self.progress(1.0, "完成")
        return report

    # -- sheets ------------------------------------------------------------------------------
    def _plan_sheet(self, raw: RawSheet, report: ImportReport):
        """Find a sheet's kind and header row; None when the sheet is skipped."""
        if fold(raw.name) in SKIP_SHEET_NAMES:
            return None
        if not any(not is_blank(v) for r in raw.rows for v in r):
            return None
        if raw.hidden:  # choice lists, mostly; records there are said, not imported unseen
            found = detect_header(raw.rows, None, raw.name)
            if not isinstance(found, str):
                report.notices.append(
                    f"隐藏的工作表“{raw.name}”像是{KIND_SPECS[found[0]].zh}表，未导入；"
                    "如需导入，请在 Excel 中取消隐藏后再导入"
                )
            return None
        found = detect_header(raw.rows, self.kind, raw.name)
        if isinstance(found, str):  # a reason why not
            nonempty = sum(1 for r in raw.rows if any(not is_blank(v) for v in r))
            report.notices.append(f"工作表“{raw.name}”已跳过：{found}（{nonempty} 行非空）")
            return None
        kind, header_row, mapping = found
        if self.kind and not is_complete(kind, mapping):
            guess = detect_header(raw.rows, None, raw.name)
            if not isinstance(guess, str) and guess[0] != kind and is_complete(guess[0], guess[2]):
                other = KIND_SPECS[guess[0]].zh
                report.notices.append(f"工作表“{raw.name}”像是{other}表，不是所选类型，已跳过")
                return None
        result = SheetResult(raw.name, kind, header_row + 1, header=list(raw.rows[header_row]))
        report.sheets.append(result)
        return raw, result, mapping

    def _reject_sheet(self, raw, result, report, header_row: int, reason: str) -> None:
        """Reject every data row of a sheet for one reason (a required column is missing)."""
        report.errors.append(RowError(raw.name, header_row + 1, "（表头）", reason))
        for index in range(header_row + 1, len(raw.rows)):
            cells = raw.rows[index]
            if all(is_blank(v) for v in cells):
                continue
            result.rows_read += 1
            result.rejected += 1
            result.rejected_rows.append((index + 1, cells, reason))

    def _import_sheet(self, raw, result, mapping, report, done, total_rows) -> None:
        spec = KIND_SPECS[result.kind]
        header_row = result.header_row - 1
        header = raw.rows[header_row]
        columns: dict[str, list[int]] = {}
        for index, key in mapping.items():
            columns.setdefault(key, []).append(index)
            result.columns[header_label(header[index])] = key
        for index, cell in enumerate(header):
            if index in mapping or is_blank(cell):
                continue
            norm = normalise_header(cell)
            if norm in PERSONAL_IGNORED:
                result.personal_ignored.append(header_label(cell))
            elif norm not in SILENTLY_IGNORED:
                result.ignored.append(header_label(cell))
        if result.personal_ignored:
            report.notices.append(
                f"工作表“{raw.name}”的列 {'、'.join(result.personal_ignored)} 含个人信息，已忽略，不会保存"
            )
        if result.ignored:
            report.notices.append(
                f"工作表“{raw.name}”的列 {'、'.join(result.ignored)} 未识别，已忽略"
            )
        missing = [f.zh for f in spec.fields if f.required and f.key not in columns]
        missing += [
            "或".join(spec.field(k).zh for k in group)
            for group in spec.one_of
            if not any(k in columns for k in group)
        ]
        if missing:
            self._reject_sheet(raw, result, report, header_row, f"缺少必填列：{'、'.join(missing)}")
            return
        used_columns = sorted({i for idx in columns.values() for i in idx})
        cleaned = _cleaned_columns(raw, header_row, mapping)
        labels = {key: header_label(header[idx[0]]) for key, idx in columns.items()}
        data = data_rows(raw.rows, header_row, used_columns, result.skipped)
        parsed = self._parse_columns(spec, raw.rows, data, columns, header)
        gathered = row_values(parsed, len(data))  # None: a row to look at field by field
        builder = builder_for(spec.kind)
        dated = bool(date_fields(spec.kind))  # most registers have no date to flag
        start = done[0]
        for n, index in enumerate(data):
            if (start + index - header_row) // PROGRESS_EVERY > done[0] // PROGRESS_EVERY:
                self.progress(
                    0.15 + 0.75 * done[0] / total_rows, f"已检查 {done[0]} / {total_rows} 行"
                )
            done[0] = start + index - header_row
            cells = raw.rows[index]
            result.rows_read += 1
            errors: list[tuple[str, str]] = []
            values = gathered[n]
            taken = False
            try:
                if values is None:
                    values = {}
                    record, extras = self._build_row(spec, cells, n, parsed, labels, errors, values)
                else:
                    record, extras = builder(self, spec, values, labels, errors)
                taken = self._accept(
                    spec, record, extras, raw.name, index + 1, labels, errors, result
                )
            except RowFailed:
                self._remember_failed(spec.kind, values, raw.name, index + 1)
            if errors:
                result.rejected += 1
                reasons = "；".join(f"{col}：{why}" for col, why in errors)
                result.rejected_rows.append((index + 1, cells, reasons))
                report.errors += [RowError(raw.name, index + 1, col, why) for col, why in errors]
            elif taken:
                result.accepted += 1
                if dated:
                    for col, why in future_dates(spec.kind, values, labels, self.today):
                        report.warnings.append(RowError(raw.name, index + 1, col, why))
                if index in cleaned:
                    for col in cleaned[index]:
                        report.warnings.append(RowError(raw.name, index + 1, col, CONTROLS_DROPPED))
        done[0] = start + len(raw.rows) - header_row - 1
        result.skipped.sort(key=lambda skip: skip[0])  # footers, headers and merges in row order

    # -- rows --------------------------------------------------------------------------------
    def _build_row(self, spec: KindSpec, cells, n: int, parsed, labels, errors, values):
        """Gather the `n`th checked row's values from its columns read (`_parse_columns`), then
        build the store record (and records it implies).

        Errors are collected in `errors`; RowFailed is raised when there is any.
        """
        for f, readings, column in parsed:
            if column is not None:  # one column, read already
                got = column[n]
                if got is _BLANK:
                    if f.required:
                        errors.append((labels[f.key], "必填项为空"))
                elif type(got) is _Refused:
                    errors.append((readings[0][0], got.reason))
                else:
                    values[f.key] = got
                continue
            found, failed = [], False
            for label, column, i in readings:
                if column is None:  # read row by row: it may name a record of an earlier row
                    got = self._read_cell(f, cells[i] if i < len(cells) else None, None)
                else:
                    got = column[n]
                if got is _BLANK:
                    continue
                if type(got) is _Refused:
                    failed = True
                    errors.append((label, got.reason))
                    continue
                found.append(got)
            distinct = found if len(found) < 2 else list(dict.fromkeys(found))
            if len(distinct) > 1:
                errors.append((labels[f.key], "同一行中表示同一项目的几列内容不一致"))
            elif distinct:
                values[f.key] = distinct[0]
            elif f.required and not failed:
                errors.append((labels[f.key], "必填项为空"))
        if errors:
            raise RowFailed
        builder = builder_for(spec.kind)
        return builder(self, spec, values, labels, errors)

    def _parse_columns(self, spec: KindSpec, rows, data: list[int], columns, header) -> list:
        """Every cell of the rows `data` through its field's parser, column by column, each
        distinct value (with its row's town, for a village) read once: a register repeats its
        towns, villages, dates and categories down thousands of rows.

        [(field, [(header, readings, column index)], its one column's readings or None)],
        readings being one value, _BLANK or _Refused a row; None for the fields read row by row
        (organisations: a register of them may point at one of its own earlier rows).
        """
        lines = [rows[x] for x in data]
        narrowest = min(map(len, lines), default=0)  # a reader's rows are mostly all as wide
        towns: list = [None] * len(data)
        blank: dict[object, bool] = {}  # a town cell's blankness, by its value and type
        for i in reversed(columns.get("town", [])):  # the first town column filled wins
            for n, r in enumerate(lines):
                value = r[i] if i < len(r) else None
                key = value if type(value) is str else (type(value), value)
                empty = blank.get(key)
                if empty is None:
                    empty = blank[key] = is_blank(value)
                if not empty:
                    towns[n] = value
        parsed = []
        for f in spec.fields:
            if f.key not in columns:
                continue
            readings = []
            for i in columns[f.key]:
                label = header_label(header[i])
                if f.parse in ("org", "orgs"):
                    readings.append((label, None, i))
                    continue
                if i < narrowest:
                    cells = list(map(itemgetter(i), lines))
                else:
                    cells = [r[i] if i < len(r) else None for r in lines]
                if f.parse == "id_number" and f.personal:  # mostly distinct: read all at once
                    readings.append((label, self._read_ids(cells), i))
                    continue
                if f.parse == "place" and f.key == "place_code":  # a village with its town
                    codes, distinct = distinct_pairs(cells, towns)
                    read = [self._read_cell(f, value, town) for value, town in distinct]
                else:
                    codes, distinct = distinct_codes(cells)
                    read = [self._read_cell(f, value, None) for value in distinct]
                readings.append((label, list(map(read.__getitem__, codes.tolist())), i))
            parsed.append((f, readings, readings[0][1] if len(readings) == 1 else None))
        return parsed

    def _read_cell(self, f: Field, value, town):
        """One cell through its field's parser: the value, _BLANK or _Refused (why)."""
        if is_blank(value):
            return _BLANK
        try:
            return self._parse_cell(f, value, town)
        except ValueError as exc:
            if f.personal and f.parse == "name":
                return _Refused("姓名无效")  # never echo personal data into a report
            # A reason may quote another cell (a village's town): never its personal numbers.
            return _Refused(pseudonym.without_personal_numbers(str(exc)))

    def _read_ids(self, cells: list) -> list:
        """`_read_cell` of each cell of an ID-number column (a personal field, so never searched
        for personal numbers), their check digits computed at once."""
        numbers = parse_id_numbers(cells, blank=_BLANK)
        if not any(issubclass(t, ValueError) for t in set(map(type, numbers))):
            return numbers  # each a number or blank: as they are
        return [_Refused(str(n)) if isinstance(n, ValueError) else n for n in numbers]

    def _parse_cell(self, f: Field, value, town):
        kind = f.parse
        if not f.personal and personal_numbers(cell_text(value) or ""):
            # An ID-card or mobile number outside the name and ID columns: a code becomes a
            # keyed pseudonym (as the ID column does), anything else is refused, never echoed.
            prefix = CODE_PREFIXES.get(f.key)
            if kind == "text" and prefix:
                code = cell_text(value)
                if pseudonym.is_own_identifier(code) and self.exists(CODE_KINDS[f.key], code):
                    return code  # the store's own (one in 1,600 holds a phone-shaped run)
                return pseudonym.code_pseudonym(prefix, code, self.key())
            raise ValueError(PERSONAL_IN_TEXT)
        if kind in ("text", "town"):
            return cell_text(value)
        if kind == "name":
            text = cell_text(value)
            if not pseudonym.normalise_name(text):
                raise ValueError("姓名无效")
            return text
        if kind == "id_number":
            return parse_id_number(value)
        if kind == "int":
            number = parse_int(value)
            if number < 0:
                raise ValueError(f"“{value}”不能为负数")
            return number
        if kind == "float":
            return parse_number(value)
        if kind == "date":
            return parse_date(value)
        if kind == "year":
            return parse_year(value)
        if kind == "bool":
            return parse_bool(value)
        if kind in ("vocab", "metric"):
            return parse_vocab(value, f.vocab)
        if kind == "multi":
            return parse_multi(value, f.vocab)
        if kind == "place":
            return self.catalog.places.resolve(value, town if f.key == "place_code" else None)
        if kind == "org":
            return self.catalog.orgs.resolve(value)
        if kind in ("places", "orgs"):
            text = cell_text(value)
            resolve = self.catalog.places.resolve if kind == "places" else self.catalog.orgs.resolve
            parts = split_list(text)
            codes, bad = [], []
            for part in parts:
                try:
                    codes.append(resolve(part))
                except ValueError as exc:
                    bad.append(str(exc))
            if bad:
                raise ValueError("；".join(bad))
            return vocab.join_keys(codes)
        raise AssertionError(kind)

    def _accept(self, spec, record, extras, sheet, row, labels, errors, result) -> bool:
        """Check a built record against the store's rules and earlier rows; keep it if valid.

        Returns False for an exact repeat of an earlier row (merged, not counted twice).
        """
        kind = spec.kind
        keys = _primary_key(kind)
        if spec.id_field and not record.get(spec.id_field):
            record[spec.id_field] = derive_id(
                spec.id_prefix, kind, (record.get(k) for k in spec.natural_key)
            )
        pk = tuple(map(record.get, keys))
        existing = self.catalog.existing(kind).get(pk)
        effective = record if existing is None else {**existing, **record}
        problems = check_record(kind, effective)
        for column, reason in problems:
            errors.append((_label_for(spec, column, labels), reason))
        if errors:
            raise RowFailed
        previous = self.batch.get(kind, {}).get(pk)
        if previous is not None:
            before, prev_sheet, prev_row = previous
            if any(before.get(k) != v for k, v in record.items()):
                where = (
                    f"第 {prev_row} 行"
                    if prev_sheet == sheet
                    else f"工作表“{prev_sheet}”第 {prev_row} 行"
                )
                label = labels.get(spec.id_field, "编号") if spec.id_field else "关键字段"
                errors.append(
                    (label, f"与{where}是同一记录但内容不同；如确为不同记录，请填写不同的编号")
                )
                raise RowFailed
            result.skipped.append((row, f"与第 {prev_row} 行重复，已合并"))
            result.rows_read -= 1
            return False
        self.batch.setdefault(kind, {})[pk] = (effective, sheet, row)
        for extra_kind, extra in extras:
            extra_pk = tuple(map(extra.__getitem__, _primary_key(extra_kind)))
            self.batch.setdefault(extra_kind, {}).setdefault(extra_pk, (extra, sheet, row))
            if extra_kind == "household":
                self.auto_households += 1
        if kind == "org":
            self.catalog.orgs.add(effective["org_id"], effective.get("name"))
        return True

    def _remember_failed(self, kind: str, values: dict, sheet: str, row: int) -> None:
        """Note who a rejected row was about, so rows pointing at it can say it was rejected."""
        ident = None
        if kind == "person" and values.get("name") and values.get("id_number"):
            ident = pseudonym.pseudonym("P", values["name"], values["id_number"], self.key())
        elif kind == "household" and values.get("head_name") and values.get("head_id_number"):
            ident = pseudonym.pseudonym(
                "H", values["head_name"], values["head_id_number"], self.key()
            )
        elif kind == "org" and values.get("name"):
            ident = values.get("org_id") or derive_id("O", "org", [vocab_key(values["name"])])
        ident = ident or values.get(
            {"person": "person_id", "household": "household_id"}.get(kind, "")
        )
        if ident:
            self.rejected_refs.setdefault(kind, {})[ident] = (sheet, row)

    # -- references ---------------------------------------------------------------------------
    def exists(self, kind: str, key: str) -> bool:
        """Whether a record is stored or accepted earlier in this import."""
        return (key,) in self.batch.get(kind, {}) or key in self.catalog.ids(kind)

    def missing_reason(self, kind: str, key: str, what: str, hint: str) -> str:
        """Why a reference does not resolve, pointing at the rejected row if it was in this file."""
        if key in self.rejected_refs.get(kind, {}):
            sheet, row = self.rejected_refs[kind][key]
            return f"{what}在工作表“{sheet}”第 {row} 行，但该行被拒绝"
        return f"找不到{what}，{hint}"

    # -- counting and writing ----------------------------------------------------------------
    def _count_changes(self, report: ImportReport) -> None:
        for kind, rows in self.batch.items():
            existing = self.catalog.existing(kind)
            counts = {"added": 0, "updated": 0, "unchanged": 0}
            for pk, (record, _, _) in rows.items():
                before = existing.get(pk)
                if before is None:
                    counts["added"] += 1
                elif all(before.get(k) == v for k, v in record.items()):
                    counts["unchanged"] += 1
                else:
                    counts["updated"] += 1
            report.counts[kind] = counts
        if self.auto_households:
            report.notices.append(f"按户主自动新建家庭 {self.auto_households} 户")

    def _changed_records(self) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for kind, rows in self.batch.items():
            existing = self.catalog.existing(kind)
            changed = []
            for pk, (record, _, _) in rows.items():
                before = existing.get(pk)
                if before is None or any(before.get(k) != v for k, v in record.items()):
                    changed.append(record)
            if changed:
                out[kind] = changed
        return out

    def _write(self, report: ImportReport, file_name: str, records: dict) -> None:
        """Write the changed records and the audit entry in one transaction."""
        places = sorted(
            {r["place_code"] for rows in records.values() for r in rows if r.get("place_code")}
        )
        meta_values = {}
        if self._key is not None and not self.store.get_meta(pseudonym.KEY_CHECK_META):
            meta_values[pseudonym.KEY_CHECK_META] = pseudonym.key_check(self._key)

        def what(written) -> str:
            # Counted inside the write's own transaction: an import running at the same moment
            # may have stored some of these records since this one read the store.
            _counts_from(report, written)
            return audit_what(
                "import",
                file=pseudonym.without_personal_numbers(file_name),  # kept for good
                added=report.count("added"),
                updated=report.count("updated"),
                unchanged=report.count("unchanged"),
                rejected=report.rejected,
            )

        pause = float(os.environ.get(PAUSE_ENV, "0") or 0)
        if pause and records:
            records = _pause_inside_transaction(records, pause)
        try:
            written = self.store.write(
                records,
                meta_values=meta_values,
                audit={
                    "action": "import",
                    "what": what,
                    "places": ";".join(places),
                    "actor": self.actor,
                },
            )
        except HehuError:
            raise
        except (SQLAlchemyError, OverflowError, ValueError, TypeError) as exc:
            # Rolled back: a database that stayed locked, a value the driver cannot take.
            raise HehuError(
                f"写入数据库失败，未写入任何数据：{first_line(getattr(exc, 'orig', None) or exc)}",
                f"writing to the database failed, nothing was written: {first_line(exc)}",
            ) from exc
        report.written = {k: v for k, v in written.items() if v}
        report.committed = True


def _cleaned_columns(raw: RawSheet, header_row: int, mapping: dict) -> dict[int, list[str]]:
    """Row index -> the headers of its read columns whose control characters were dropped."""
    cleaned: dict[int, list[str]] = {}
    for r, c in raw.cleaned:
        if r > header_row and c in mapping:
            cleaned.setdefault(r, []).append(header_label(raw.rows[header_row][c]))
    return cleaned


def _recount_report(report: ImportReport, folder: Path, stem: str, estimated: dict) -> None:
    """After the commit, the report says the records are written and what the transaction
    itself added and updated; if it cannot be rewritten, the import stands and the summary
    says the report is the one made before the write."""
    try:
        write_report_files(report, folder, stem)
    except Exception:  # noqa: BLE001 - the rows are in; only the report is stale
        stale = "新增、更新数是写入前的估计，" if report.counts != estimated else ""
        report.notices.append(
            f"导入报告未能更新：报告中{stale}写入状态仍为“正在写入”，实际已写入，以本摘要为准"
        )


def _rewrite_report(report: ImportReport, folder: Path, stem: str) -> None:
    """After a failed write, the report says so; if even that fails, no report says otherwise."""
    try:
        write_report_files(report, folder, stem)
    except Exception:  # noqa: BLE001 - the write's own error is the one to tell
        for stale in (report.report_path, report.quarantine_path):
            if stale is not None:
                stale.unlink(missing_ok=True)
        report.report_path = report.quarantine_path = None


def _pause_inside_transaction(records: dict[str, list[dict]], seconds: float):
    """Test hook: the last kind's rows are handed over only after a pause, inside the transaction."""
    last = [k for k in KIND_ORDER if k in records][-1]  # written last, after the others

    def slow(rows: list[dict]) -> Iterator[dict]:
        """The rows, after a marker on stderr and the pause."""
        print("HEHU-IN-TRANSACTION", file=sys.stderr, flush=True)
        time.sleep(seconds)
        yield from rows

    return {k: (slow(v) if k == last else v) for k, v in records.items()}


def _label_for(spec: KindSpec, column: str, labels: dict[str, str]) -> str:
    if column in labels:
        return labels[column]
    try:
        return spec.field(column).zh
    except StopIteration:
        return _STORE_COLUMN_ZH.get(column, column)


_STORE_COLUMN_ZH = {
    "name": "名称",
    "short_name": "简称",
    "level": "级别",
    "kind": "类型",
    "sex": "性别",
    "place_code": "村居",
    "household_id": "家庭",
    "person_id": "对象",
}


@cache
def _primary_key(kind: str) -> tuple[str, ...]:
    """The primary key's columns of a kind's table."""
    return tuple(c.name for c in RECORD_TABLES[kind].primary_key.columns)


# ===================================================================================== entry points


def _counts_from(report: ImportReport, written) -> None:
    """Added and updated per kind as the write's transaction found them (Store.write's Written).

    Records found unchanged before the write were not written and stay counted as unchanged.
    """
    for kind, rows in written.items():
        counts = report.counts.setdefault(kind, {"added": 0, "updated": 0, "unchanged": 0})
        counts["added"] = written.added.get(kind, 0)
        counts["updated"] = rows - counts["added"]


def import_file(
    store: Store,
    path: str | Path,
    *,
    kind: str | None = None,
    dry_run: bool = False,
    strict: bool = False,
    report_dir: str | Path | None = None,
    actor: str | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
    name: str | None = None,
) -> ImportReport:
    """Import one register file (or dry-run it); the report files go to `report_dir` or beside it.
    `name`: the file's name as its user knows it, if it is kept under another (an upload)."""
    importer = Importer(
        store,
        kind=kind,
        dry_run=dry_run,
        strict=strict,
        actor=actor,
        progress=progress,
        today=today,
    )
    # An import makes a few objects a cell and keeps most of them to the end, none in cycles:
    # the collector would walk all of them again and again (about 12 % of an import's time).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return importer.run(path, report_dir, name)
    finally:
        if collecting:
            gc.enable()
