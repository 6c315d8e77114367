"""Tables, cards and chart series of the pages: a frame shown as a role may see it (decided by
hehu.disclosure), sorted and exported exactly as shown."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as w
import pandas as pd

from hehu.clock import local_today
from hehu.disclosure import (
    Rules,
    disclose,
    is_hidden,
    sees_exact_counts,
    shown_number,
)
from hehu.figures.metrics import Records
from hehu.figures.places import period_links
from hehu.figures.tracking import breakdown
from hehu.render.formatting import cell_text
from hehu.render.spreadsheet import XLSX_MIME, frame_to_xlsx_bytes
from widgets.kit.charts import Series
from widgets.kit.common import (
    html_text,
)
from widgets.kit.texts import tr

# --------------------------------------------------------------------------- values


@dataclass
class Column:
    """A table column: its key in the frame, its heading, and how its values read.

    kind: count (people: hidden when small for aggregate-only roles), number, rate (0..1),
    per1000, days, date, text, flag.
    """

    key: str
    label: str
    kind: str = "text"


NUMERIC_KINDS = ("count", "number", "rate", "per1000", "days")


def shown_values(
    frame: pd.DataFrame,
    columns: Sequence[Column],
    role: str,
    *,
    figures: pd.DataFrame | None = None,
    periods: Mapping[str, pd.DataFrame] | None = None,
    showing: str | None = None,
    row_key: Sequence[str] = (),
    total_row=None,
    additive: tuple[tuple[str, tuple[str, ...]], ...] = (),
    derived: dict[str, tuple[str, ...]] | None = None,
    over_time: Mapping[str, str] | None = None,
    elsewhere: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """The frame as a role may see it, decided by hehu.disclosure.

    A table of places (`figures`: their columns of the one disclosed frame of every place's
    figures, on the frame's row labels) takes its counts and rates from there, so a place's
    figure is hidden alike on every page, at every level and in every period. Any other table
    is protected on its own across `periods` (the same table for every period the role can
    choose, `showing` among them; rows matched on `row_key`), with its total row and its
    additive columns; `derived` columns (rates, days) are hidden with any of their sources;
    `over_time` says how a count behaves from period to period (see disclosure.Rules);
    `elsewhere` (by period, on the rows of each period's frame) marks the cells that are place
    figures too (`places.place_figure_marks`), disclosed as they are among every place's.
    """
    out = frame.astype(object).copy()
    counts = [c.key for c in columns if c.kind == "count" and c.key in frame]
    if sees_exact_counts(role) or frame.empty:
        return out
    if figures is not None:
        for column in columns:
            if column.key in figures.columns:
                out[column.key] = figures[column.key].reindex(frame.index).to_numpy()
            elif column.kind == "count":
                raise KeyError(f"{column.key} is not a disclosed place figure")
        return out
    periods = dict(periods) if periods else {"": frame}
    showing = showing if showing in periods else next(iter(periods))
    keyed = {k: _keyed(f, row_key) for k, f in periods.items()}
    keyed[showing] = _keyed(frame, row_key)
    total = total_row
    if total is not None and row_key:
        total = _keyed(frame, row_key).index[list(frame.index).index(total)]
    rules = Rules(
        counts=tuple(counts),
        total_row=total,
        additive=additive,
        rates=derived or {},
        over_time=over_time or {},
    )
    links = period_links(list(keyed)) if len(keyed) > 1 else None
    there = None
    if elsewhere is not None:  # on each period's rows as keyed
        rows = {k: (frame if k == showing else periods[k]).index for k in keyed}
        there = {k: elsewhere[k].set_axis(rows[k]).set_axis(keyed[k].index) for k in keyed}
    shown = disclose(keyed, showing, rules, role, links, there)
    for column in [*counts, *(derived or {})]:
        if column in shown.columns:
            out[column] = shown[column].to_numpy()
    return out


def _keyed(frame: pd.DataFrame, row_key: Sequence[str]) -> pd.DataFrame:
    """A frame indexed by its row key (the label that stays the same from period to period)."""
    if not row_key:
        return frame
    keys = {k: frame[k].astype(object).where(frame[k].notna(), "").astype(str) for k in row_key}
    return frame.set_index(
        pd.MultiIndex.from_arrays(list(keys.values()))
        if len(row_key) > 1
        else pd.Index(keys[row_key[0]])
    )


def format_cell(value, kind: str, lang: str = "zh") -> str:
    """One value as text (hehu.render.formatting.cell_text), a flag as 是 / 否."""
    text = cell_text(value, kind)
    if kind == "flag" and not isinstance(value, str) and text != "—":
        return tr("yes", lang) if bool(value) else tr("no", lang)
    return text


def export_value(value, kind: str):
    """A value for a spreadsheet cell: numbers stay numbers, hidden markers stay text."""
    if isinstance(value, str):
        return value
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):  # None, NaN, NaT, NA
        return None
    if kind in ("count", "number"):
        return int(value)
    if kind in ("rate", "per1000", "days"):
        return round(float(value), 4)
    if kind == "date":
        return pd.Timestamp(value).date()
    if kind == "flag":
        return bool(value)
    return str(value)


# --------------------------------------------------------------------------- html pieces


def section_html(title: str, key: str = "") -> str:
    """A section heading."""
    data = f' data-hehu="section-{key}"' if key else ""
    return f'<div class="hehu-section"{data}>{html_text(title)}</div>'


def note_html(text: str) -> str:
    """A small explanatory note."""
    return f'<div class="hehu-note">{html_text(text)}</div>'


@dataclass
class Card:
    """A headline figure."""

    key: str
    label: str
    value: str
    note: str = ""
    gap: bool = False


def cards_html(cards: Sequence[Card]) -> str:
    """Headline figures as cards (a gap is outlined in red)."""
    parts = []
    for card in cards:
        note = f'<div class="t">{html_text(card.note)}</div>' if card.note else ""
        parts.append(
            f'<div class="hehu-card{" gap" if card.gap else ""}" data-card="{html_text(card.key)}">'
            f'<div class="k">{html_text(card.label)}</div>'
            f'<div class="v">{html_text(card.value)}</div>{note}</div>'
        )
    return '<div class="hehu-cards">' + "".join(parts) + "</div>"


def table_html(
    shown: pd.DataFrame,
    columns: Sequence[Column],
    lang: str,
    key: str,
    *,
    row_class: pd.Series | None = None,
    gap_columns: Sequence[str] = (),
) -> str:
    """A frame of shown values as an HTML table (numbers right-aligned)."""
    if shown.empty:
        return note_html(tr("no_data", lang))
    head = "".join(
        f'<th class="{"num" if c.kind in NUMERIC_KINDS else ""}">{html_text(c.label)}</th>'
        for c in columns
    )
    body = []
    for i, (_, row) in enumerate(shown.iterrows()):
        css = "" if row_class is None else str(row_class.iloc[i])
        cells = []
        for c in columns:
            value = row[c.key]
            classes = ["num"] if c.kind in NUMERIC_KINDS else []
            if c.key in gap_columns and not isinstance(value, str) and value and value == value:
                classes.append("gap")
            cells.append(
                f'<td class="{" ".join(classes)}">{html_text(format_cell(value, c.kind, lang))}</td>'
            )
        body.append(f'<tr class="{css}">' + "".join(cells) + "</tr>")
    return (
        f'<div class="hehu-table-wrap"><table class="hehu-table" data-hehu="table-{html_text(key)}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def download_link_html(data: bytes, file_name: str, lang: str, rows: int) -> str:
    """An <a download> link carrying an .xlsx file (no server round trip, works in Voila)."""
    payload = base64.b64encode(data).decode("ascii")
    return (
        f'<span class="hehu-download" data-hehu="download"><a download="{html_text(file_name)}" '
        f'href="data:{XLSX_MIME};base64,{payload}">{html_text(tr("download", lang, name=file_name))}</a>'
        f" {html_text(tr('exported_rows', lang, rows=rows))}</span>"
    )


def chart_series(name: str, shown: pd.Series, kind: str, lang: str) -> Series:
    """A chart series of what the table shows: hidden bars hatched, with no length of their own."""
    hidden = [is_hidden(v) for v in shown]
    return Series(
        name,
        [shown_number(v) or 0.0 for v in shown],
        texts=[format_cell(v, kind, lang) for v in shown],
        hidden=hidden,
    )


def with_total_row(frame: pd.DataFrame, sums: list[str], label_column: str, label: str):
    """A frame with a total row (is_total) summing `sums` appended."""
    frame = frame.copy()
    frame["is_total"] = False
    total = {c: frame[c].sum() for c in sums}
    total.update({label_column: label, "is_total": True})
    out = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    for c in sums:
        out[c] = out[c].astype("int64")
    return out


def place_rows(
    records: Records, place: str, figures: pd.DataFrame, lang: str, rates: dict | None = None
) -> pd.DataFrame:
    """A place's figures row by row (the places under it, then its total), labelled for a table."""
    rows = breakdown(records, place, figures, rates=rates)
    rows["label"] = row_labels(rows, lang)
    return rows


def row_labels(rows: pd.DataFrame, lang: str) -> pd.Series:
    """Place names, the own row and total row marked, key villages starred."""
    labels = []
    for _, row in rows.iterrows():
        if row["is_total"]:
            labels.append(tr("total_row", lang, name=row["name"]))
        elif row.get("is_own", False):
            labels.append(tr("own_row", lang, name=row["name"]))
        else:
            labels.append(row["name"] + (" ★" if row["key_village"] else ""))
    return pd.Series(labels, index=rows.index)


# --------------------------------------------------------------------------- widgets


class FrameTable(w.VBox):
    """A table with a sort picker, and an Excel export of exactly what is shown."""

    def __init__(
        self,
        key: str,
        columns: Sequence[Column],
        lang: str,
        *,
        export_name: str,
        on_export: Callable[[str, int], None] | None = None,
        gap_columns: Sequence[str] = (),
        scroll: bool = False,
    ):
        self.key = key
        self.columns = list(columns)
        self.lang = lang
        self.export_name = export_name
        self.on_export = on_export
        self.gap_columns = gap_columns
        self.note = ""
        self.raw = pd.DataFrame()
        self.shown = pd.DataFrame()
        self.sort_by = w.Dropdown(
            options=[(tr("as_listed", lang), "")] + [(c.label, c.key) for c in self.columns],
            value="",
            description=tr("sort_by", lang),
            layout=w.Layout(width="auto", min_width="200px"),
        )
        self.sort_by.style.description_width = "initial"
        self.descending = w.Checkbox(value=False, description=tr("descending", lang), indent=False)
        self.descending.layout = w.Layout(width="auto")
        self.export_button = w.Button(description=tr("export", lang))
        self.export_button.add_class("hehu-noprint")
        self.download = w.HTML()
        self.table = w.HTML(layout=w.Layout(width="100%"))
        if scroll:
            self.table.add_class("hehu-rows-table")
        tools = w.HBox(
            [self.sort_by, self.descending, self.export_button, self.download],
            layout=w.Layout(flex_flow="row wrap"),
        )
        tools.add_class("hehu-controls")
        tools.add_class("hehu-table-tools")
        super().__init__([tools, self.table], layout=w.Layout(width="100%"))
        self.add_class(f"hehu-frame-table-{key}")
        self.sort_by.observe(self._render, names="value")
        self.descending.observe(self._render, names="value")
        self.export_button.on_click(self._export)

    def show(self, raw: pd.DataFrame, shown: pd.DataFrame, note: str = "") -> None:
        """Show a frame: `raw` values sort it, `shown` values (after privacy) are displayed."""
        self.raw = raw.reset_index(drop=True)
        self.shown = shown.reset_index(drop=True)
        self.note = note
        self.download.value = ""  # an old file would no longer match the table
        self._render()

    def show_as(
        self,
        role: str,
        frame: pd.DataFrame,
        columns: Sequence[Column],
        note: str = "",
        *,
        gap_columns: Sequence[str] | None = None,
        **disclosure,
    ) -> pd.DataFrame:
        """Show a frame as a role may see it (`shown_values` with `disclosure`); the shown values."""
        shown = shown_values(frame, columns, role, **disclosure)
        self.columns = columns
        if gap_columns is not None:
            self.gap_columns = gap_columns
        self.show(frame, shown, note)
        return shown

    def ordered(self) -> pd.DataFrame:
        """The shown rows in display order: body sorted, then a place's own row, then its total."""
        shown, raw = self.shown, self.raw
        if shown.empty:
            return shown
        pinned = pd.Series(0, index=raw.index)
        if "is_own" in raw:
            pinned[raw["is_own"].fillna(False).astype(bool)] = 1
        if "is_total" in raw:
            pinned[raw["is_total"].fillna(False).astype(bool)] = 2
        order = pd.DataFrame({"pinned": pinned, "position": range(len(raw))})
        if self.sort_by.value:
            # Sorted on what is shown: hidden values last, in table order (an order by their
            # value would tell them apart).
            kind = {c.key: c.kind for c in self.columns}.get(self.sort_by.value)
            order["value"] = (
                shown[self.sort_by.value].map(shown_number).astype("float64")
                if kind in NUMERIC_KINDS
                else raw[self.sort_by.value]
            )
            body = order[order["pinned"] == 0].sort_values(
                "value", ascending=not self.descending.value, na_position="last", kind="stable"
            )
            order = pd.concat([body, order[order["pinned"] > 0].sort_values("pinned")])
        else:
            order = order.sort_values(["pinned", "position"], kind="stable")
        return shown.loc[order.index]

    def _row_classes(self, index: pd.Index) -> pd.Series:
        classes = pd.Series("", index=self.raw.index)
        if "is_own" in self.raw:
            classes[self.raw["is_own"].fillna(False).astype(bool)] = "hehu-own"
        if "is_total" in self.raw:
            classes[self.raw["is_total"].fillna(False).astype(bool)] = "hehu-total"
        return classes.loc[index]

    def _render(self, _change=None) -> None:
        rows = self.ordered()
        self.table.value = table_html(
            rows,
            self.columns,
            self.lang,
            self.key,
            row_class=self._row_classes(rows.index) if len(rows) else None,
            gap_columns=self.gap_columns,
        )

    def export_frame(self) -> pd.DataFrame:
        """What the export writes: the shown rows in display order, headed by column labels."""
        rows = self.ordered()
        return pd.DataFrame(
            {c.label: [export_value(v, c.kind) for v in rows[c.key]] for c in self.columns}
            if len(rows)
            else {c.label: [] for c in self.columns}
        )

    def export_bytes(self) -> bytes:
        """The shown table as an .xlsx file."""
        return frame_to_xlsx_bytes(self.export_frame(), sheet=self.export_name, note=self.note)

    def _export(self, _button=None) -> None:
        frame = self.export_frame()
        data = frame_to_xlsx_bytes(frame, sheet=self.export_name, note=self.note)
        stamp = local_today().strftime("%Y%m%d")
        name = f"{self.export_name}_{stamp}.xlsx"
        self.download.value = download_link_html(data, name, self.lang, len(frame))
        if self.on_export is not None:
            self.on_export(f"{self.export_name}: {self.note}", len(frame))
