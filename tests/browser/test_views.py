"""Every view renders the demo data in a real browser: no console error, accessible, laptop and tablet."""

from __future__ import annotations

import pytest

from ui_audit import audit, horizontal_overflow
from ui_support import LAPTOP, TABLET

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.kafka]

CUSTOMER = "ERP Renewal Program"
BROKEN = ("cannot be shown", "not reachable", "not ready")

# name, who, path (or a callable of the platform), [(selector, at least)], heading text
VIEWS = [
    ("signin", None, "/signin", [('button[name="identity"]', 16)], "Sign in"),
    ("pmo-backlog", "admin", "/pmo/backlog",
     [("table.backlog tbody tr", 20), ("svg.factor-bar rect", 60), (".legend li", 8)], "Ranked backlog"),
    ("pmo-demand", "admin", "top-demand", [("svg.factor-bar rect", 3), ("table tbody tr", 8)], None),
    ("pmo-coverage", "admin", "/pmo/coverage", [("table.coverage tbody tr", 5)], "Segment coverage"),
    ("pmo-catalog", "admin", "/pmo/catalog",
     [(".board .column", 6), (".board .card", 15), (".card .moves button", 15)], "Service catalog"),
    ("pmo-move", "admin", "pilot-move", [("input[type=checkbox]", 10), ("#success_criteria", 1)],
     None),
    ("pmo-satisfaction", "admin", "/pmo/satisfaction", [("svg.chart", 10), ("svg.chart circle", 10)],
     "Satisfaction and perceived value"),
    ("pmo-recommendations", "admin", "/pmo/recommendations", [(".rec", 3)], "Recommendations"),
    ("pmo-alerts", "admin", "/pmo/alerts", [(".alert-list > li", 3)], "Detractors to follow up"),
    ("executive", "executive", "/exec", [(".kpi", 4), (".meter", 5), (".decision", 2)],
     "The PMO in one minute"),
    ("customer-demands", CUSTOMER, "/me", [(".demand", 2)], "My demands"),
    ("customer-new-demand", CUSTOMER, "/me/new", [("form textarea#problem", 1)], "Tell the PMO what hurts"),
    ("customer-endorse", CUSTOMER, "/me/endorse", [(".need-list > li", 10)], "Do you have the same need?"),
    ("customer-catalog", CUSTOMER, "/me/catalog", [(".offer-list li", 3)], "What the PMO offers"),
    ("customer-roadmap", CUSTOMER, "/me/roadmap", [(".lane", 3), (".lane-item", 1)], "My roadmap"),
    ("customer-surveys", CUSTOMER, "/me/surveys", [], "How did we do?"),
]


def _path(platform, path: str) -> str:
    if path == "top-demand":
        with platform.api("prioritizer") as prioritizer:
            top = prioritizer.get("/v1/rankings", params={"limit": 1}).json()["items"][0]
        return f"/pmo/demands/{top['demand_id']}"
    if path == "pilot-move":
        with platform.api("catalog") as catalog:
            services = catalog.get("/v1/services", params={"state": "in_design"}).json()["items"]
        return f"/pmo/catalog/{services[0]['id']}/move?to=pilot"
    return path


@pytest.mark.parametrize("name,who,path,expect,heading", VIEWS, ids=[view[0] for view in VIEWS])
def test_view_renders_the_demo_data(platform, visit, screenshots, name, who, path, expect, heading):
    visitor = visit(who)
    page = visitor.page
    response = page.goto(_path(platform, path))
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    page.wait_for_load_state("load")
    if heading:
        assert heading in page.locator("h1").inner_text()
    for selector, at_least in expect:
        count = page.locator(selector).count()
        assert count >= at_least, f"{name}: {selector} matched {count}, expected >= {at_least}"
    notices = " | ".join(page.locator(".notice").all_inner_texts())
    assert not any(word in notices for word in BROKEN), notices
    page.screenshot(path=screenshots / f"{name}-laptop.png", full_page=True)
    assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways at {LAPTOP['width']}px"
    assert audit(page) == []

    page.set_viewport_size(TABLET)
    page.wait_for_timeout(100)
    assert horizontal_overflow(page) <= 0, f"{name} scrolls sideways at {TABLET['width']}px"
    page.screenshot(path=screenshots / f"{name}-tablet.png", full_page=True)
    assert visitor.errors == []


def test_keyboard_alone_signs_in_and_reaches_the_main_content(visit):
    visitor = visit(None)
    page = visitor.page
    page.goto("/signin")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "admin"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused control shows no focus ring"
    page.keyboard.press("Enter")
    page.wait_for_url("**/pmo/backlog")
    assert visitor.errors == []


def test_a_customer_cannot_open_the_pmo_views(visit):
    visitor = visit(CUSTOMER)
    response = visitor.page.goto("/pmo/backlog")
    assert response.status == 403
    assert "PMO staff" in visitor.page.locator("main").inner_text()


def test_a_signed_out_visitor_is_sent_to_sign_in_and_back(visit):
    visitor = visit(None)
    visitor.page.goto("/pmo/catalog")
    assert "/signin?next=/pmo/catalog" in visitor.page.url
    visitor.page.locator('button[name="identity"][value="analyst"]').click()
    visitor.page.wait_for_url("**/pmo/catalog")
    assert visitor.errors == []
