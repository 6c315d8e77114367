"""Pasting a paragraph of a work report (粘贴报告段落): the claims proposed from it, one row
each with its metric, value, place and period to confirm or correct, then checked like an
uploaded claims file. The proposing is `hehu.oversight.claims.extract`; this is only its view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import ipywidgets as w
import pandas as pd

from hehu import i18n
from hehu.clock import local_today
from hehu.errors import HehuError
from hehu.figures.metrics import Records
from hehu.importing.cells import parse_date, read_figure
from hehu.oversight.claims import ProposedClaim, claims_table, extract_claims
from hehu.oversight.claims.extract import CONFIDENCES, MAX_TEXT_BYTES, claim_figure
from hehu.records import vocab
from widgets.kit.common import error_box, html_text

TEXT: dict[str, tuple[str, str]] = {
    "section": ("粘贴报告段落，提取数字", "Paste a report's paragraph to propose its figures"),
    "placeholder": (
        "例：2021年以来，各维权阵地共接访90起维权事项……（简体或繁体均可）",
        "Paste a paragraph of the work report, in Chinese (Simplified or Traditional script)",
    ),
    "report_date": ("报告日期", "Report date"),
    "date_hint": ("YYYY-MM-DD，空则取今天", "YYYY-MM-DD, empty: today"),
    "extract": ("提取", "Propose"),
    "check": ("核对所选", "Check the selected"),
    "use": ("采用", "use"),
    "choose": ("（请选择指标）", "(choose a metric)"),
    "value": ("数值", "value"),
    "place": ("地点", "place"),
    "start": ("起", "from"),
    "end": ("止", "to"),
    "average": ("年均（按年核对）", "yearly average"),
    "total": ("合计", "total"),
    "found": (
        "找到 {n} 个数字：请逐条核对指标、数值、地点和期间，再点“核对所选”。",
        "{n} figures found: confirm or correct each, then check.",
    ),
    "none": ("未找到带单位的数字（如“90起”“1.8万人次”“95%”）", "No figures with a unit found"),
    "empty": ("请先粘贴报告段落", "Paste a paragraph first"),
    "too_long": ("文字过长：请只粘贴报告的正文段落", "Too long: paste the report's paragraphs"),
    "nothing_chosen": ("没有选中且填好指标的数字", "No figure chosen with a metric"),
    "document": ("粘贴的报告段落", "pasted paragraph"),
}


def t(key: str, lang: str, **values) -> str:
    """This panel's text for a key."""
    zh, en = TEXT[key]
    text = en if lang == "en" else zh
    return text.format(**values) if values else text


class ProposalRow(w.VBox):
    """One proposed claim: use it or not, its metric, value, place, period and kind."""

    def __init__(self, proposal: ProposedClaim, place_name: str, lang: str):
        self.proposal = proposal
        metrics = [(t("choose", lang), "")] + [
            (i18n.metric_label(key, lang), key) for key in vocab.METRICS
        ]
        self.use = w.Checkbox(
            value=proposal.metric is not None, description=t("use", lang), indent=False
        )
        self.metric = w.Dropdown(options=metrics, value=proposal.metric or "")
        self.value = w.Text(value=proposal.written, description=t("value", lang))
        self.place = w.Text(value=place_name, description=t("place", lang))
        self.start = w.Text(value=proposal.start.isoformat(), description=t("start", lang))
        self.end = w.Text(value=proposal.end.isoformat(), description=t("end", lang))
        self.kind = w.Dropdown(
            options=[(t("total", lang), "total"), (t("average", lang), "average")],
            value=proposal.kind,
        )
        sure = vocab.label(CONFIDENCES, proposal.confidence, lang)
        source = w.HTML(
            f'<div class="hehu-sub"><b>{html_text(proposal.written)}</b> · {html_text(sure)} · '
            f"{html_text(proposal.sentence[:80])}<br>{html_text(proposal.why)}</div>"
        )
        fields = w.HBox(
            [self.use, self.metric, self.value, self.place, self.start, self.end, self.kind],
            layout=w.Layout(flex_flow="row wrap"),
        )
        super().__init__([source, fields], layout=w.Layout(border_bottom="1px solid #ddd"))

    def confirmed(self) -> ProposedClaim | None:
        """The claim as the user left it, or None when not used; HehuError if a field is wrong."""
        if not self.use.value or not self.metric.value:
            return None
        try:
            figure = read_figure(self.value.value, hedged=True)
            start, end = parse_date(self.start.value), parse_date(self.end.value)
        except ValueError as exc:
            raise HehuError(f"“{self.proposal.written}”：{exc}") from None
        is_rate = vocab.METRICS[self.metric.value][2] == "rate"
        if figure.percent and not is_rate:
            raise HehuError(
                f"“{self.value.value}”是百分数，但该指标不是比率",
                f"{self.value.value!r} is a percentage but the metric is not a rate",
            )
        # The edited figure as the extractor reads one: a rate as a fraction (95% or a bare 95
        # is 0.95), the tolerance from how round the figure is written, a hedge as a bound.
        value, tolerance = claim_figure(figure, is_rate)
        return replace(
            self.proposal,
            metric=self.metric.value,
            value=value,
            tolerance=tolerance,
            hedge=figure.hedge,
            place_code=self.place.value.strip(),  # a code or a name: the check resolves it
            start=start,
            end=end,
            kind=self.kind.value,
        )


class ClaimPaste(w.VBox):
    """A text area, a report date and 提取; the proposals as editable rows; 核对所选 hands the
    confirmed claims, as a claims file's bytes, to `on_check(data, name)`."""

    def __init__(self, records: Records, on_check: Callable[[bytes, str], None], lang: str = "zh"):
        self.records, self.on_check, self.lang = records, on_check, lang
        self.text = w.Textarea(
            placeholder=t("placeholder", lang), layout=w.Layout(width="100%", height="8em")
        )
        self.report_date = w.Text(
            description=t("report_date", lang), placeholder=t("date_hint", lang)
        )
        self.extract_button = w.Button(description=t("extract", lang), button_style="primary")
        self.check_button = w.Button(description=t("check", lang), disabled=True)
        self.message = w.HTML()
        self.rows = w.VBox(layout=w.Layout(width="100%"))
        super().__init__(
            [
                w.HTML(f'<div class="hehu-section">{html_text(t("section", lang))}</div>'),
                self.text,
                w.HBox(
                    [self.report_date, self.extract_button], layout=w.Layout(flex_flow="row wrap")
                ),
                self.message,
                self.rows,
                self.check_button,
            ],
            layout=w.Layout(width="100%"),
        )
        self.extract_button.on_click(lambda _b: self.extract())
        self.check_button.on_click(lambda _b: self.check())

    def _say(self, message: str, error: bool = False) -> None:
        self.message.value = (
            error_box(message).value
            if error
            else f'<div class="hehu-sub">{html_text(message)}</div>'
        )

    def extract(self) -> None:
        """Propose the claims of the pasted text and show them as rows."""
        text = self.text.value
        self.rows.children, self.check_button.disabled = (), True
        if not text.strip():
            return self._say(t("empty", self.lang), error=True)
        if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
            return self._say(t("too_long", self.lang), error=True)
        try:
            typed = self.report_date.value.strip()
            date = parse_date(typed) if typed else local_today()  # as the hint says
        except ValueError as exc:
            return self._say(f"{t('report_date', self.lang)}：{exc}", error=True)
        proposals = extract_claims(text, self.records.places, date)
        names = self.records.places.set_index("code")["name"]
        self.rows.children = [
            ProposalRow(p, str(names.get(p.place_code, p.place_code)), self.lang) for p in proposals
        ]
        self.check_button.disabled = not proposals
        self._say(t("found", self.lang, n=len(proposals)) if proposals else t("none", self.lang))

    def confirmed_table(self) -> pd.DataFrame:
        """The confirmed claims in the claims file's columns; HehuError naming a wrong field."""
        claims = [c for row in self.rows.children if (c := row.confirmed()) is not None]
        return claims_table(claims, t("document", self.lang))

    def check(self) -> None:
        """Hand the confirmed claims to the check, as an uploaded claims file would be."""
        try:
            table = self.confirmed_table()
        except HehuError as exc:
            return self._say(exc.message(self.lang), error=True)
        if table.empty:
            return self._say(t("nothing_chosen", self.lang), error=True)
        name = f"{t('document', self.lang)} {local_today().isoformat()}.csv"
        self.on_check(table.to_csv(index=False).encode("utf-8"), name)
