"""Uploads from the import page: where they are kept, and the checks before one is kept
(its size, its content against its name, and what it unpacks to: `workbook.check_spreadsheet`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from hehu.clock import local_now
from hehu.errors import HehuError
from hehu.importing.workbook import SUPPORTED_SUFFIXES, check_spreadsheet, name_said
from hehu.records.store import hehu_home


def imports_dir() -> Path:
    """Where uploads from the import page and their reports are kept: hehu_home()/imports."""
    folder = hehu_home() / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)  # uploads and quarantine files hold names and ID numbers
    return folder


MAX_UPLOAD_BYTES = int(float(os.environ.get("HEHU_MAX_UPLOAD_MB", "20")) * 1024 * 1024)
ZIP_MAGIC = b"PK\x03\x04"  # .xlsx, .xlsm and .ods are zip files
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # .xls is an OLE compound file


def check_upload(file_name: str, content: bytes) -> str:
    """The upload's suffix if its size and its content agree with its name; HehuError if not."""
    name = Path(file_name).name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise HehuError(
            f"不支持的文件类型：{suffix or name}（可导入 .xlsx、.xls、.csv）",
            f"unsupported file type: {suffix or name}",
        )
    if len(content) > MAX_UPLOAD_BYTES:
        raise HehuError(
            f"文件过大：{len(content) / 1048576:.1f} MB，上限 {MAX_UPLOAD_BYTES / 1048576:.0f} MB；请拆分后分批导入",
            f"file too large: {len(content) / 1048576:.1f} MB, limit {MAX_UPLOAD_BYTES / 1048576:.0f} MB",
        )
    if not content:
        raise HehuError("文件是空的", "the file is empty")
    # The name is only a claim: look at the bytes, so a renamed program or archive is refused.
    if suffix in (".xlsx", ".xlsm", ".ods"):
        ok = content.startswith(ZIP_MAGIC)
    elif suffix == ".xls":
        ok = content.startswith(OLE_MAGIC)
    else:
        ok = b"\x00" not in content[:65536] and not content.startswith((ZIP_MAGIC, OLE_MAGIC))
    if not ok:
        raise HehuError(
            f"文件内容与扩展名 {suffix} 不符，已拒绝：请用 Excel 另存为正确格式后再导入",
            f"the file's content does not match its {suffix} name; refused",
        )
    check_spreadsheet(content, name)  # what it unpacks to, before it is kept or read
    return suffix


def save_upload(file_name: str, content: bytes) -> Path:
    """Keep an uploaded register in the imports folder under a timestamped, harmless name."""
    name = Path(file_name).name  # never a path from the browser: only the last part, cleaned
    suffix = check_upload(file_name, content)
    # A personal number in the name is cut before the name is cleaned (张三 139 12345678 would
    # become 张三_139_12345678, which no longer reads as one): the upload, its report and its
    # quarantine file are named from this.
    stem = name_said(Path(name).stem)
    stem = re.sub(r"[^\w\u4e00-\u9fff.-]+", "_", stem)[:60] or "upload"
    stamp = local_now().strftime("%Y%m%d-%H%M%S-%f")
    path = imports_dir() / f"{stamp}_{stem}{suffix}"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)
    return path
