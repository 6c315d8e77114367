"""笔记本接口：记录、指标、跟踪表（hehu.explore），加上任一指标的地图和任一页面。
The notebook API: the records, metrics and tracking tables of `hehu.explore`, plus a map of any
figure and any page of the workbench, to display in a JupyterLab notebook beside one's own cells.

    from widgets import explore as hx
    wb = hx.open_workbench()
    hx.figure_map(wb, "course_attendance", period="2022")     # folium.Map：在单元格中显示
    hx.page(wb, "briefing", place="高沟镇", period="2022")    # 与 Voila 页面相同的简报
"""

from __future__ import annotations

from collections.abc import Callable

import folium
import ipywidgets as w

from hehu.errors import HehuError
from hehu.explore import TRACKING_TABLES, Workbench, open_workbench, period_of
from hehu.figures.cache import period_choice_key
from hehu.records import vocab
from widgets.kit.county_map import OverviewState
from widgets.pages.audit import build_audit_page
from widgets.pages.briefing import build_briefing_page
from widgets.pages.cases import build_cases_page
from widgets.pages.claims import build_claims_page
from widgets.pages.courses import build_courses_page
from widgets.pages.cycle import build_cycle_page
from widgets.pages.forum import build_forum_page
from widgets.pages.inspections import build_inspections_page
from widgets.pages.overview import build_overview_page
from widgets.pages.pairings import build_pairings_page
from widgets.pages.visits import build_visits_page

__all__ = [
    "PAGES",
    "TRACKING_TABLES",
    "Workbench",
    "figure_map",
    "open_workbench",
    "page",
    "period_of",
]

# The pages a notebook can show, by the name of their Voila notebook (the import page takes no
# database or parameters: it is the Voila page's own, and stays there).
PAGES: dict[str, Callable[..., w.VBox]] = {
    "overview": build_overview_page,
    "briefing": build_briefing_page,
    "pairings": build_pairings_page,
    "courses": build_courses_page,
    "visits": build_visits_page,
    "cases": build_cases_page,
    "claims": build_claims_page,
    "forum": build_forum_page,
    "inspections": build_inspections_page,
    "cycle": build_cycle_page,
    "audit": build_audit_page,
}


def figure_map(
    workbench: Workbench, metric: str, period=None, area=None, lang: str = "zh"
) -> folium.Map:
    """任一指标的县域地图（与概览页相同） / the overview's map of any metric, for any period."""
    if metric not in vocab.METRICS:
        raise HehuError(
            f"没有这个指标：{metric}（可用：{'、'.join(vocab.METRICS)}）",
            f"no such metric: {metric}",
        )
    records = workbench.data
    state = OverviewState(
        records,
        lang,
        area=workbench.place(area) if area is not None else records.root,
        period_key=period_choice_key(period_of(period)),
    )
    state.metric = metric
    return state.build_map()


def page(workbench: Workbench, name: str, place=None, period=None, lang: str = "zh") -> w.VBox:
    """工作台的一个页面，可在笔记本中显示 / a page of the workbench, to display in a notebook."""
    if name not in PAGES:
        raise HehuError(
            f"没有这个页面：{name}（可用：{'、'.join(PAGES)}）", f"no such page: {name}"
        )
    params = {"lang": lang}
    if place is not None:
        params["place"] = workbench.place(place)
    if period is not None:
        params["period"] = period_choice_key(period_of(period))
    return PAGES[name](workbench.store.url, params)
