"""Headers: which row of a sheet is the header, which kind it belongs to, what each column means.

Real registers put titles above the header and write 名字 where the template says 姓名: headers
are compared after folding and removing notes like （必填）, against every kind's synonyms.
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache

from hehu.importing.cells import cell_text
from hehu.importing.kinds import KIND_SPECS
from hehu.records.pseudonym import without_personal_numbers

HEADER_SCAN_ROWS = 30  # title rows above a header rarely exceed a handful; 30 is generous
# A header naming this many fields of one kind is that kind even with a required column missing:
# its rows are then rejected (and quarantined) rather than the sheet silently skipped.
MIN_FIELDS_FOR_INCOMPLETE = 3
# The columns a quarantine file adds to the rejected rows (ignored when it is imported again).
QUARANTINE_REASON = "错误原因"
QUARANTINE_ROW = "原行号"

_BRACKETED = re.compile(r"[(\[<《【〔][^)\]>》】〕]*[)\]>》】〕]")
_HEADER_NOISE = re.compile(r"[\s*※★☆:：#№.、_\-]")


def normalise_header(text) -> str:
    """A header as compared: folded, bracketed notes like （必填） and marks like * removed."""
    if text is None:
        return ""
    if type(text) is int:  # digits: nothing to fold or remove but a minus sign
        return str(abs(text))
    if isinstance(text, float) and math.isnan(text):
        return ""
    if type(text) is float:  # ASCII: only its point and minus sign are noise
        return str(text).replace(".", "").replace("-", "")
    folded = str(text)
    for _ in range(4):  # to a fixed point: removing a space can let NFKC compose two characters
        before = folded
        folded = unicodedata.normalize("NFKC", folded)
        folded = _HEADER_NOISE.sub("", _BRACKETED.sub("", folded)).casefold()
        if folded == before:
            break
    return folded


# Columns that hold personal data we never want: recognised so the report can say they were
# ignored on purpose. Anything else unknown is reported as an unrecognised column.
PERSONAL_IGNORED = frozenset(
    normalise_header(h)
    for h in (
        "联系电话", "电话", "手机", "手机号", "手机号码", "联系方式", "住址", "家庭住址", "地址",
        "现住址", "户籍地址", "监护人", "监护人姓名", "监护人电话", "监护人身份证号", "父亲姓名",
        "母亲姓名", "父亲", "母亲", "当事人", "当事人姓名", "来访人", "来访人姓名", "申请人",
        "被申请人", "联系人", "微信",
    )
)  # fmt: skip
SILENTLY_IGNORED = frozenset(
    normalise_header(h) for h in ("序号", "编号", "备注", QUARANTINE_REASON, QUARANTINE_ROW)
)
SKIP_SHEET_NAMES = frozenset({"说明", "填表说明", "选项", "填报说明", "说明页"})
FOOTER_MARKERS = ("合计", "总计", "小计", "填表人", "填报人", "审核人", "制表人", "负责人", "注：", "注:",
                  "说明：", "说明:", "备注：")  # fmt: skip


@cache
def _header_index(kind: str) -> dict[str, str]:
    """Normalised header text -> field key of a kind (the template header and every synonym)."""
    index: dict[str, str] = {}
    for f in KIND_SPECS[kind].fields:
        for text in (f.zh, f.key, *f.synonyms):
            index.setdefault(normalise_header(text), f.key)
    return index


def match_header(text, kind: str) -> str | None:
    """The field key a header cell stands for in a kind, or None if it is not one of its fields."""
    return _header_index(kind).get(normalise_header(text))


def header_label(cell) -> str:
    """A header cell as the user wrote it (for messages and reports), trimmed, any personal
    number in it written "…" (备注13912348888 is not a column of the register's)."""
    text = cell_text(cell)
    return "" if text is None else without_personal_numbers(text)


def is_complete(kind: str, mapping: dict[int, str]) -> bool:
    """Whether a header mapping has every required column of a kind."""
    spec, fields = KIND_SPECS[kind], set(mapping.values())
    return all(f.key in fields for f in spec.fields if f.required) and all(
        any(g in fields for g in group) for group in spec.one_of
    )


def detect_header(rows: list[list], kind: str | None, sheet_name: str = ""):
    """(kind, header row index, {column index: field key}) of a sheet, or a reason (str) if none.

    The header is the row among the first few that names the most fields of a kind; titles and
    notes above it are skipped. Without a given kind, the kind whose required columns are all
    present and which matches the most columns wins; a tie is an error, not a guess.
    """
    kinds = [kind] if kind else list(KIND_SPECS)
    best: dict[str, tuple] = {}
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        norms = [normalise_header(v) if isinstance(v, str) else "" for v in row]
        if sum(1 for n in norms if n) < 2:
            continue
        for k in kinds:
            table = _header_index(k)
            mapping = {i: table[n] for i, n in enumerate(norms) if n in table}
            fields = set(mapping.values())
            if len(fields) < 2:
                continue
            spec = KIND_SPECS[k]
            complete = is_complete(k, mapping)
            hinted = any(h in sheet_name for h in spec.hints)
            score = (complete, len(fields), hinted)
            if k not in best or score > best[k][0]:
                best[k] = (score, index, mapping)
    if not best:
        if kind:
            expected = "、".join(f.zh for f in KIND_SPECS[kind].fields if f.required)
            return (
                f"前 {HEADER_SCAN_ROWS} 行中找不到{KIND_SPECS[kind].zh}的表头（应含：{expected}）"
            )
        return "找不到可识别的表头"
    ranked = sorted(best.items(), key=lambda item: item[1][0], reverse=True)
    (top_kind, (top_score, index, mapping)) = ranked[0]
    if not kind and len(ranked) > 1:
        second = ranked[1][1][0]
        if second[:2] == top_score[:2] and second[2] == top_score[2]:
            names = "、".join(KIND_SPECS[k].zh for k, v in ranked if v[0] == top_score)
            return f"无法判断记录类型（可能是：{names}），请指定类型"
    if not kind and not top_score[0] and top_score[1] < MIN_FIELDS_FOR_INCOMPLETE:
        spec = KIND_SPECS[top_kind]
        missing = [f.zh for f in spec.fields if f.required and f.key not in mapping.values()]
        return f"像是{spec.zh}表，但缺少必填列：{'、'.join(missing) or '姓名或编号'}"
    return top_kind, index, mapping
