"""A demand a customer submits appears, ranked, in the PMO's open backlog without a reload (SSE)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.kafka]


def test_a_submitted_demand_appears_ranked_in_the_pmo_backlog_without_reload(visit, screenshots):
    pmo = visit("analyst")
    pmo.page.goto("/pmo/backlog")
    expect(pmo.page.locator("#live-status")).to_have_text(re.compile("Live updates: on"))
    before = pmo.page.locator("table.backlog tbody tr").count()
    pmo.page.evaluate("window.__sameDocument = true")

    customer = visit("Data Migration Team")
    page = customer.page
    page.goto("/me/new")
    title = f"Reconciliation reports disagree after every load {uuid.uuid4().hex[:6]}"
    page.get_by_label("What is the problem?").fill(
        "After each rehearsal load the ledger and the reconciliation report disagree by thousands "
        "of lines; two people spend a day finding out which one is wrong.")
    page.get_by_label("A short title").fill(title)
    page.get_by_label("5 · Severely").check()
    page.get_by_label("4 · This month").check()
    page.get_by_label("How many people does it affect?").fill("60")
    page.get_by_role("button", name="Submit demand").click()
    page.wait_for_url(re.compile(r"/me\?new="))
    expect(page.locator(".flash-ok")).to_contain_text("is submitted")
    page.screenshot(path=screenshots / "customer-demand-submitted.png", full_page=True)

    row = pmo.page.locator("table.backlog tbody tr", has_text=title)
    expect(row).to_have_count(1, timeout=30_000)
    assert pmo.page.evaluate("window.__sameDocument") is True, "the backlog page was reloaded"
    assert int(row.locator(".rank").inner_text()) >= 1
    assert row.locator("svg.factor-bar rect").count() >= 3
    expect(row).to_have_class(re.compile("changed"))
    assert pmo.page.locator("table.backlog tbody tr").count() == before + 1
    expect(pmo.page.locator("#live-status")).to_contain_text("ranking refreshed")
    pmo.page.screenshot(path=screenshots / "pmo-backlog-live-update.png", full_page=True)

    page.reload()
    expect(page.locator(".demand", has_text=title)).to_contain_text(re.compile(r"Ranked #\d+"))
    assert pmo.errors == [] and customer.errors == []
