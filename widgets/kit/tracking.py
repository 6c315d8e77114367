"""What the four tracking pages share: their text, one state class, the filter bar, and the page skeleton.

Each page (pairings, courses, visits, cases) has one state object, a subclass of TrackingState
holding its filters (place, period, category and the page's own settings); its view observes
the state and redraws figures, charts and tables from `hehu.tracking`. Counts of people go
through `shown_values`, which hides small counts from deputies and presenters (and the cells
that would let one work them back); person-level tables are built for staff only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ipywidgets as w
import pandas as pd
import traitlets

from hehu import i18n
from hehu.disclosure import (
    current_actor,
    current_role,
    legend,
    sees_person_rows,
)
from hehu.errors import HehuError, UnknownPlace
from hehu.figures.cache import default_period_key, period_from_key
from hehu.figures.metrics import Period, Records
from hehu.figures.places import disclosed_place_figures, family_column, period_family
from hehu.records import vocab
from hehu.records.store import Store
from hehu.render.spreadsheet import log_export
from widgets.kit.common import (
    empty_notice,
    error_box,
    failure_page,
    html_text,
    page_language,
    page_records,
    page_shell,
    page_store,
    query_params,
)
from widgets.kit.pickers import PlacePicker, period_options
from widgets.kit.tables import note_html
from widgets.kit.texts import DAY, TRACKING_CSS, tr

# The record kinds each tracking page shows: without any of them it says nothing is recorded.
PAGE_KINDS = {
    "pairings": ("person", "pairing"),
    "courses": ("course",),
    "visits": ("household", "visit", "screening"),
    "cases": ("case", "event", "protection_measure", "referral"),
}

# --------------------------------------------------------------------------- state


class TrackingState(traitlets.HasTraits):
    """The filters of a tracking page: a place, a period and the page's category ('' = all)."""

    place = traitlets.Unicode("")
    period_key = traitlets.Unicode("")
    category = traitlets.Unicode("")

    # Trait names whose change redraws the page; subclasses add their own settings.
    FILTERS: tuple[str, ...] = ("place", "period_key", "category")

    def __init__(self, records: Records, lang: str = "zh", role: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.records = records
        self.lang = lang
        self.role = role or current_role()
        if not self.place:
            self.place = records.root
        if not self.period_key:
            self.period_key = default_period_key(records)

    @traitlets.validate("place")
    def _known_place(self, proposal):
        return self.records.check_place(proposal["value"]) if proposal["value"] else ""

    @property
    def period(self) -> Period:
        """The selected period."""
        return period_from_key(self.period_key)

    @property
    def shows_rows(self) -> bool:
        """Whether this role may see pseudonymous person-level rows."""
        return sees_person_rows(self.role)

    def category_options(self) -> list[tuple[str, str]]:
        """(label, key) choices of the page's category; '' stands for all."""
        return [(tr("all", self.lang), "")]

    def category_label(self) -> str:
        """The selected category as text."""
        return dict((k, v) for v, k in self.category_options()).get(self.category, self.category)

    def place_name(self) -> str:
        """The selected place's name."""
        places = self.records.places
        return str(places.loc[places["code"] == self.place, "name"].iloc[0])

    def across_periods(self, compute: Callable[[Period], pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """A table for every period this role can choose (only the one on show for staff, who
        see exact values): what its disclosure protects together."""
        keys = (
            [self.period_key] if self.shows_rows else period_family(self.records, self.period_key)
        )
        return {key: compute(period_from_key(key)) for key in keys}

    def place_figures(self, family: str, figures: Sequence[str]) -> pd.DataFrame:
        """The disclosed figures of every place (and own row) for the page's category:
        `figures` of a family, as columns named after the figures."""
        shown = disclosed_place_figures(self.records, self.period_key, self.role)
        return pd.DataFrame(
            {f: shown[family_column(family, f, self.category)] for f in figures},
            index=shown.index,
        )

    def scope_text(self) -> str:
        """Place · period · category, for headings and exported files."""
        return tr(
            "scope",
            self.lang,
            place=self.place_name(),
            period=self.period.label(self.lang),
            category=self.category_label(),
        )


class FilterBar(w.HBox):
    """Place (the hierarchy), period and category pickers, linked to a page's state."""

    def __init__(self, state: TrackingState, category_title: str, extra: Sequence[w.Widget] = ()):
        lang = state.lang
        self.place_picker = PlacePicker(
            state.records, lang, value=state.place, description=tr("place", lang)
        )
        self.period_picker = w.Dropdown(
            options=period_options(state.records, lang),
            value=state.period_key,
            description=tr("period", lang),
        )
        self.category_picker = w.Dropdown(
            options=state.category_options(), value=state.category, description=category_title
        )
        # w.link copies the picker's value into the state first: the values above match it
        for picker in (self.period_picker, self.category_picker):
            picker.style.description_width = "initial"
            picker.layout = w.Layout(width="auto", min_width="220px", max_width="100%")
        w.link((self.place_picker, "value"), (state, "place"))
        w.link((self.period_picker, "value"), (state, "period_key"))
        w.link((self.category_picker, "value"), (state, "category"))
        super().__init__(
            [self.place_picker, self.period_picker, self.category_picker, *extra],
            layout=w.Layout(flex_flow="row wrap", width="100%"),
        )
        self.add_class("hehu-controls")


class TrackingView(w.VBox):
    """A tracking page's body: the filter bar, a scope line, then sections redrawn on change."""

    def __init__(
        self,
        state: TrackingState,
        category_title: str,
        sections: Sequence[w.Widget],
        extra_filters: Sequence[w.Widget] = (),
    ):
        self.state = state
        self.filters = FilterBar(state, category_title, extra_filters)
        self.scope = w.HTML()
        self.problem = w.HTML()
        super().__init__(
            [w.HTML(TRACKING_CSS), self.filters, self.scope, self.problem, *sections],
            layout=w.Layout(width="100%"),
        )
        state.observe(self._on_change, names=list(state.FILTERS))

    def _on_change(self, _change=None) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Redraw everything from the state; a data problem shows as a message, not a traceback."""
        state = self.state
        as_of = state.period.as_of.strftime(DAY)
        self.scope.value = (
            f'<div class="hehu-sub" data-hehu="scope">{html_text(state.scope_text())} · '
            f"{html_text(tr('as_of', state.lang, day=as_of))}</div>"
        ) + ("" if state.shows_rows else note_html(legend(state.lang)))
        try:
            self.redraw()
            self.problem.value = ""
        except HehuError as exc:
            self.problem.value = error_box(exc.message(state.lang)).value

    def redraw(self) -> None:  # pragma: no cover - every page overrides it
        """Redraw the page's sections."""
        raise NotImplementedError

    def export_logger(self, store: Store | None) -> Callable[[str, int], None] | None:
        """A callback writing each export to the audit log (None when there is no store)."""
        if store is None:
            return None

        def log(what: str, rows: int) -> None:
            log_export(
                store,
                i18n.audit_what("export", table=what, rows=rows),
                actor=current_actor(),  # the signed-in user, else the server's role
                places=self.state.place,
            )

        return log


def apply_params(state: TrackingState, params: dict[str, str], lang: str) -> list[w.Widget]:
    """Set the state from ?place=&period=&category=; an unknown value gives a notice, not a crash."""
    notices = []
    code = params.get("place", "").strip()
    if code:
        try:
            state.place = code
        except (UnknownPlace, traitlets.TraitError) as exc:
            message = exc.message(lang) if isinstance(exc, HehuError) else str(exc)
            notices.append(error_box(message))
    periods = [k for _, k in period_options(state.records, lang)]
    if params.get("period") in periods:
        state.period_key = params["period"]
    if params.get("category") in [k for _, k in state.category_options()]:
        state.category = params["category"]
    return notices


def build_tracking_page(
    page: str,
    make_state: Callable[[Records, str], TrackingState],
    make_view: Callable[[TrackingState, Store], TrackingView],
    db_url: str | None,
    params: dict | None,
) -> w.VBox:
    """A tracking page as one box (with .state and .view for tests), or a page saying what failed."""
    params = query_params() if params is None else params
    lang = page_language(params)
    title = tr(f"{page}_title", lang)
    try:
        store = page_store(db_url)
        records = page_records(store)
        state = make_state(records, lang)
        what = tr(f"{page}_title", lang)
        notices = [
            *empty_notice(store, PAGE_KINDS[page], lang, what if lang != "en" else what.lower()),
            *apply_params(state, params, lang),
        ]
        view = make_view(state, store)
        view.refresh()
    except HehuError as exc:
        return failure_page(title, lang, exc)
    shell = page_shell(
        f"{i18n.t('app', lang)} · {title}", tr(f"{page}_sub", lang), records, lang, [*notices, view]
    )
    shell.state = state
    shell.view = view
    return shell


def vocab_options(table: dict, lang: str, all_key: str) -> list[tuple[str, str]]:
    """(label, key) choices of a vocabulary, 'all' first."""
    return [(tr(all_key, lang), "")] + [(vocab.label(table, k, lang), k) for k in table]
