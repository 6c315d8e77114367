"""The briefing page: one place's figures, gaps and questions, readable on a phone and on A4."""

from __future__ import annotations

import ipywidgets as w
import traitlets

from hehu import i18n
from hehu.disclosure import current_role
from hehu.errors import HehuError, UnknownPlace
from hehu.figures.cache import PageRecords, default_period_key, period_from_key
from hehu.figures.metrics import Records
from hehu.oversight.briefing import Briefing, build_briefing
from hehu.records.schema import WORK_KINDS
from hehu.render.html import briefing_html, html_text
from hehu.serve.routes import light_url_from_page
from widgets.kit.common import (
    empty_notice,
    error_box,
    failure_page,
    page_language,
    page_records,
    page_shell,
    page_store,
    query_params,
)
from widgets.kit.pickers import PlacePicker, period_options


class BriefingState(traitlets.HasTraits):
    """Which place and period the briefing shows."""

    place = traitlets.Unicode("")
    period_key = traitlets.Unicode("")  # empty: default_period_key

    def __init__(self, records: Records, lang: str = "zh", role: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.records = records
        self.lang = lang
        self.role = role or current_role()

    def briefing(self) -> Briefing:
        """The briefing for the current place and period, from the records of its scope (a
        place picked in another county reads that county's)."""
        if isinstance(self.records, PageRecords):
            self.records = self.records.for_place(self.place)
        return build_briefing(self.records, self.place, period_from_key(self.period_key), self.role)


class BriefingView(w.VBox):
    """Place and period pickers over the rendered briefing."""

    def __init__(self, state: BriefingState):
        self.state = state
        lang = state.lang
        # the state's place if it is one of the picker's, else the picker's first (the county)
        self.place_picker = PlacePicker(state.records, lang, value=state.place)
        self.period_picker = w.Dropdown(
            options=period_options(state.records, lang), description=i18n.t("period", lang)
        )
        self.period_picker.style.description_width = "initial"
        self.period_picker.layout = w.Layout(width="auto", min_width="220px")
        state.place = self.place_picker.value
        self.period_picker.value = (
            state.period_key
            if state.period_key in [k for _, k in self.period_picker.options]
            else default_period_key(state.records)
        )
        state.period_key = self.period_picker.value
        w.link((self.place_picker, "value"), (state, "place"))
        w.link((self.period_picker, "value"), (state, "period_key"))
        controls = w.HBox(
            [self.place_picker, self.period_picker],
            layout=w.Layout(flex_flow="row wrap"),
        )
        controls.add_class("hehu-controls")
        self.body = w.HTML(layout=w.Layout(width="100%"))
        super().__init__([controls, self.body], layout=w.Layout(width="100%"))
        state.observe(self._redraw, names=["place", "period_key"])
        self._redraw()

    def _redraw(self, _change=None):
        state = self.state
        before = state.records
        briefing = state.briefing()
        if state.records is not before:  # another county's records: offer its places
            self.place_picker.offer(state.records)
        # the same briefing as plain HTML with no kernel, to pass on to a colleague's phone
        light = light_url_from_page(state.place, state.lang, state.period_key)
        link = (
            f'<div class="hehu-sub"><a class="hehu-light-link" target="_top" href="{light}">'
            f"{html_text(i18n.t('open_light_briefing', state.lang))}</a></div>"
        )
        self.body.value = link + briefing_html(briefing, state.lang)


def build_briefing_page(db_url: str | None = None, params: dict | None = None) -> w.VBox:
    """The briefing page for ?place=<code> (or a picker), as one ipywidgets box."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = i18n.t("briefing_title", lang)
    try:
        code = params.get("place", "").strip()
        records = page_records(page_store(db_url), code)  # the place's county's records only
        state = BriefingState(records, lang)
        notice = empty_notice(records.store, WORK_KINDS, lang)
        if code:
            try:
                records.check_place(code)
                state.place = code
            except UnknownPlace as exc:
                notice.append(
                    error_box(
                        exc.message(lang)
                        + ("；请在下方选择地点。" if lang == "zh" else "; choose a place below.")
                    )
                )
        if params.get("period"):
            state.period_key = params["period"]
        view = BriefingView(state)
    except HehuError as exc:
        return failure_page(title, lang, exc)
    page = page_shell(
        f"{i18n.t('app', lang)} · {title}",
        i18n.t("briefing_sub", lang),
        records,
        lang,
        [*notice, view],
    )
    page.state = state
    page.view = view
    return page
