"""The oversight cycle end to end in Chromium (issue 14): three people signed in to one
`hehu serve --users` — a deputy, the county police bureau (a unit responsible) and committee
staff — play one turn of 视察 → 交办 → 答复 → 不满意 → 重新办理 → 满意 → 办结 through the pages,
and the database's history and audit log name each of them."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from test_kernel_lifecycle import LOAD_TIMEOUT, serve_with_users

from hehu.records.schema import audit_log, finding, recommendation, recommendation_update
from hehu.records.store import open_store

pytestmark = pytest.mark.browser

PEOPLE = {  # name: (role, unit, password)
    "张代表": ("deputy", None, "Zhang-daibiao-8Qw!"),
    "公安王": ("unit", "agency_police", "Gongan-wang-5Er#"),
    "李干事": ("staff", None, "Li-ganshi-3Ty$"),
}
PLACE, PLACE_NAME = "320826101000", "高沟镇"
MARK = uuid.uuid4().hex[:6]
FINDING = f"村妇女儿童之家未按时开放（{MARK}）"
RECOMMENDATION = f"每周固定开放妇女儿童之家（{MARK}）"


@pytest.fixture(scope="module")
def server(tmp_path_factory, demo_db_file):
    with serve_with_users(tmp_path_factory.mktemp("cycle_e2e"), demo_db_file, PEOPLE) as running:
        yield running


def rows(db: str, query) -> list[dict]:
    store = open_store(db, create=False)
    with store.engine.connect() as conn:
        found = [dict(r._mapping) for r in conn.execute(query)]
    store.engine.dispose()
    return found


def sign_in(browser, server, name: str, path: str):
    """A new browser context for one person, signed in and on `path`."""
    context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{server}{path}")
    page.fill("#name", name)
    page.fill("#password", PEOPLE[name][2])
    page.click("button[type=submit]")
    page.locator(".hehu-title").first.wait_for(timeout=LOAD_TIMEOUT)
    assert page.inner_text('[data-hehu="signed-in-user"]') == name
    return context, page


def select_by_text(select, text: str) -> None:
    """Choose the option whose label contains `text` (ipywidgets pads labels with no-break spaces)."""
    index = select.evaluate(
        "(s, t) => [...s.options].findIndex(o => o.text.replace(/\\u00a0/g, ' ').includes(t))", text
    )
    assert index >= 0, f"no option with {text}"
    select.select_option(index=index)


def open_cycle(page, server, rec_id: str) -> None:
    """The answers page with the recommendation chosen (and its first unit)."""
    page.goto(f"{server}/voila/render/cycle.ipynb")
    pick = page.locator(".hehu-cycle-pick select")
    pick.wait_for(timeout=LOAD_TIMEOUT)
    select_by_text(pick, rec_id)
    page.locator('[data-hehu="cycle-history"], .hehu-cycle-unit select').first.wait_for(
        timeout=LOAD_TIMEOUT
    )


def submit(page, form: str, button: str) -> None:
    """Click a form's button and wait for 已保存 (or fail with the page's refusal)."""
    page.evaluate(
        "() => document.querySelectorAll('[data-hehu=\"saved\"]').forEach(e => e.remove())"
    )
    page.locator(f".hehu-{form}-form").get_by_role("button", name=button).click()
    done = page.locator('[data-hehu="saved"], [data-hehu="error"]').first
    done.wait_for(timeout=LOAD_TIMEOUT)
    error = page.locator('[data-hehu="error"]')
    if error.count():
        pytest.fail(f"the page refused: {error.first.inner_text()}")


def test_three_people_play_one_turn_of_the_cycle(server, browser, artifacts_dir):
    contexts = []
    try:
        # 1. the deputy records an inspection of 高沟镇 with a finding and a recommendation
        context, deputy = sign_in(browser, server, "张代表", "/voila/render/inspections.ipynb")
        contexts.append(context)
        places = deputy.locator(".widget-inline-hbox").filter(
            has=deputy.locator("label.widget-label", has_text="视察地点")
        ).locator("select").first  # fmt: skip
        places.wait_for(timeout=LOAD_TIMEOUT)
        select_by_text(places, PLACE_NAME)
        findings = deputy.locator(".widget-inline-hbox").filter(
            has=deputy.locator("label.widget-label", has_text="发现的问题")
        ).locator("textarea").first  # fmt: skip
        findings.fill(FINDING)
        deputy.locator('textarea[placeholder="建议内容"]').first.fill(RECOMMENDATION)
        deputy.get_by_role("button", name="保存视察记录").click()
        deputy.locator('[data-hehu="saved"]').first.wait_for(timeout=LOAD_TIMEOUT)
        recs = rows(
            server.db, sa.select(recommendation).where(recommendation.c.text == RECOMMENDATION)
        )
        assert len(recs) == 1
        rec_id = recs[0]["rec_id"]
        assert rows(server.db, sa.select(finding).where(finding.c.text == FINDING))

        # 2. committee staff assign it to the county police bureau with a deadline
        context, staff = sign_in(browser, server, "李干事", "/voila/render/cycle.ipynb")
        contexts.append(context)
        open_cycle(staff, server, rec_id)
        select_by_text(staff.locator(".hehu-assign-form select").first, "涟水县公安局")
        staff.locator(".hehu-assign-form input[type=date]").fill("2027-03-01")
        submit(staff, "assign", "交办")

        # 3. the police bureau sees it (and only its own) and answers
        context, police = sign_in(browser, server, "公安王", "/voila/render/cycle.ipynb")
        contexts.append(context)
        open_cycle(police, server, rec_id)
        assert "涟水县妇联" not in police.inner_text('[data-hehu="cycle"]')
        select_by_text(police.locator(".hehu-answer-form select").first, "已办结")
        police.locator(".hehu-answer-form textarea").fill("已要求各村每周六开放")
        submit(police, "answer", "提交答复")

        # 4. the deputy is not satisfied: reopened with a new deadline
        open_cycle(deputy, server, rec_id)
        select_by_text(deputy.locator(".hehu-rate-form select").first, "不满意")
        deputy.locator(".hehu-rate-form textarea").fill("抽查两个村仍未开放")
        deputy.locator(".hehu-rate-form input[type=date]").fill("2027-06-30")
        submit(deputy, "rate", "提交测评")

        # 5. the bureau answers again; 6. the deputy is satisfied; 7. staff close it
        open_cycle(police, server, rec_id)
        select_by_text(police.locator(".hehu-answer-form select").first, "已办结")
        police.locator(".hehu-answer-form textarea").fill("已建立开放台账并逐村检查")
        submit(police, "answer", "提交答复")
        open_cycle(deputy, server, rec_id)
        select_by_text(deputy.locator(".hehu-rate-form select").first, "满意")
        submit(deputy, "rate", "提交测评")
        open_cycle(staff, server, rec_id)
        submit(staff, "close", "办结")
        assert "满意" in staff.inner_text('[data-hehu="cycle-history"]')

        history = rows(
            server.db,
            sa.select(recommendation_update)
            .where(recommendation_update.c.rec_id == rec_id)
            .order_by(recommendation_update.c.at),
        )
        assert [(h["kind"], h["actor"]) for h in history] == [
            ("assign", "李干事"),
            ("answer", "公安王"),
            ("rate", "张代表"),
            ("reopen", "张代表"),
            ("answer", "公安王"),
            ("rate", "张代表"),
            ("close", "李干事"),
        ]
        assert [h["rating"] for h in history if h["kind"] == "rate"] == ["unsatisfied", "satisfied"]
        actors = {r["actor"] for r in rows(server.db, sa.select(audit_log))}
        assert {"张代表", "公安王", "李干事"} <= actors
        assert not actors & {"deputy", "unit", "staff"}  # people, never roles

        # 8. the next briefing of 高沟镇 (a period up to today) carries the finding, and the
        # recommendation with the bureau's answer and the deputy's rating
        deputy.goto(f"{server}/voila/render/briefing.ipynb?place={PLACE}&period=all")
        deputy.locator('[data-hehu="briefing-place"]').wait_for(timeout=LOAD_TIMEOUT)
        findings = deputy.locator('[data-hehu="findings"]')
        findings.wait_for(timeout=LOAD_TIMEOUT)
        assert FINDING in findings.inner_text()
        row = deputy.locator('[data-hehu="recommendations"] tr', has_text=RECOMMENDATION)
        assert "涟水县公安局：已答复：已办结 · 满意" in row.inner_text()
        deputy.screenshot(path=str(artifacts_dir / "cycle_briefing.png"), full_page=True)
    finally:
        for context in contexts:
            context.close()
