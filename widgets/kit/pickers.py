"""Pickers every page offers: a place (the county and everything under it) and a period."""

from __future__ import annotations

import ipywidgets as w
import pandas as pd
import traitlets

from hehu import i18n
from hehu.figures.cache import period_options  # noqa: F401 (the pages' period choices)
from hehu.figures.metrics import Records
from hehu.records.gazetteer import offered_places
from hehu.records.place_search import (
    find_places,
    normalize_query,
    place_hierarchy,
    with_search_keys,
)
from hehu.render.html import html_text


def place_list(records: Records) -> pd.DataFrame:
    """The places in hierarchy order (`place_hierarchy`), computed once per snapshot: on a
    page of a place, those it offers (`gazetteer.offered_places`), else every place."""

    def build() -> pd.DataFrame:
        places = records.places
        if getattr(records, "place", None) is not None:  # a page of a place (PageRecords)
            places = offered_places(places, records.scope)
        return place_hierarchy(places)

    return records.cached(("place_hierarchy",), build)


def place_search(records: Records) -> pd.DataFrame:
    """`place_list` with the search keys (a `place_search_frame`), computed once per snapshot
    and only when first needed: someone typed in a picker, not when a page opens."""
    return records.cached(("place_search_frame",), lambda: with_search_keys(place_list(records)))


def _label(place, alone: bool) -> str:
    """A place as an option: indented by level in the whole list; in a list of found places
    (`alone`), a village followed by its township instead, as two villages share a name."""
    mark = " ★" if place.key_village else ""
    if not alone:
        return "\u3000" * place.depth + place.name + mark
    return place.name + (f"（{place.parent_name}）" if place.depth >= 2 else "") + mark


def place_options(records: Records, lang: str) -> list[tuple[str, str]]:
    """(label, code) for the county, its townships and their villages, indented by level."""
    return [(_label(p, False), p.code) for p in place_list(records).itertuples()]


class PlacePicker(w.VBox):
    """A place picker one can search by typing, on a phone too: a search box, what it found,
    and the drop-down of places, which narrows to the places the text finds (see `find_places`:
    characters, pinyin initials such as "gg", pinyin). `value` is the chosen code; typing never
    changes it, and the chosen place stays in the narrowed list."""

    value = traitlets.Unicode("")

    def __init__(
        self,
        records: Records,
        lang: str,
        value: str | None = None,
        description: str | None = None,
    ):
        self.lang = lang
        self._records = records  # its search keys are spelt when something is typed
        self._all = place_options(records, lang)
        self._codes = {code for _, code in self._all}
        self._narrowing = False
        self.search = w.Text(
            placeholder=i18n.t("place_search_hint", lang),
            description=i18n.t("place_search", lang),
            continuous_update=True,
        )
        self.dropdown = w.Dropdown(
            options=self._all,
            value=value if value in self._codes else self._all[0][1],
            description=i18n.t("place", lang) if description is None else description,
        )
        self.message = w.HTML(layout=w.Layout(display="none"))  # shown once something is typed
        for widget in (self.search, self.dropdown):
            widget.style.description_width = "initial"
            widget.layout = w.Layout(width="auto", max_width="100%")  # the box's width
        super().__init__(
            [self.search, self.message, self.dropdown],
            layout=w.Layout(width="auto", min_width="220px", max_width="100%"),
        )
        self.add_class("hehu-place-picker")
        self.value = self.dropdown.value
        self.dropdown.observe(self._picked, names="value")
        self.search.observe(self._typed, names="value")

    @property
    def options(self) -> tuple:
        """The (label, code) choices the drop-down offers now."""
        return self.dropdown.options

    def offer(self, records: Records) -> None:
        """Offer the places of other records (a page moved to another county's), keeping the
        chosen place."""
        self._records = records
        self._all = place_options(records, self.lang)
        self._codes = {code for _, code in self._all}
        self._narrowing = True  # the chosen place stays chosen while the list changes
        try:
            self.search.value = ""
            self.dropdown.options = self._all
            self.dropdown.value = self.value if self.value in self._codes else None
        finally:
            self._narrowing = False

    @traitlets.validate("value")
    def _known(self, proposal):
        if proposal["value"] not in self._codes:
            raise traitlets.TraitError(f"not a place of the picker: {proposal['value']!r}")
        return proposal["value"]

    @traitlets.observe("value")
    def _show(self, change) -> None:
        if change["new"] not in {code for _, code in self.dropdown.options}:  # list them all
            self.search.value = ""
        self.dropdown.value = change["new"]

    def _picked(self, change) -> None:
        if not self._narrowing and change["new"] is not None:
            self.value = change["new"]

    def _typed(self, change) -> None:
        query = change["new"]
        typed = bool(normalize_query(query))
        frame = place_search(self._records) if typed else None
        found = find_places(query, frame) if typed else []
        if not found:
            options = self._all
        else:
            keep = {*found, self.value}
            shown = frame[frame["code"].isin(keep)]
            options = [(_label(p, True), p.code) for p in shown.itertuples()]
        if not typed:
            message = ""
        elif found:
            message = i18n.t("place_search_found", self.lang, n=len(found))
        else:
            message = i18n.t("place_search_none", self.lang, q=query.strip())
        self.message.value = (
            f'<div class="hehu-sub" data-hehu="place-search">{html_text(message)}</div>'
            if message
            else ""
        )
        self.message.layout.display = None if message else "none"
        self._narrowing = True  # a new list selects its first entry: put the value back
        try:
            self.dropdown.options = options
            self.dropdown.value = self.value
        finally:
            self._narrowing = False
