"""What people do in the portal reaches the APIs: lifecycle moves with If-Match, follow-ups of
detractors, endorsements, survey answers, sign-in with a token; forgeries are refused."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from shared.auth import issue_token
from shared.settings import DEVELOPMENT_JWT_SECRET

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.kafka]


def _service(platform, name: str) -> dict:
    with platform.api("catalog") as catalog:
        services = catalog.get("/v1/services", params={"limit": 200}).json()["items"]
    return next(service for service in services if service["name"] == name)


def test_a_lifecycle_move_from_the_board(visit, screenshots, platform):
    admin = visit("admin")
    page = admin.page
    page.goto("/pmo/catalog")
    card = page.locator(".column-proposed .card", has_text="Self-service report builder")
    card.get_by_role("button", name=re.compile("^Design it")).click()
    expect(page.locator(".flash-ok")).to_contain_text("moved to In design")
    expect(page.locator(".column-in_design .card", has_text="Self-service report builder")).to_be_visible()
    assert _service(platform, "Self-service report builder")["lifecycle_state"] == "in_design"
    page.screenshot(path=screenshots / "pmo-catalog-after-move.png", full_page=True)
    assert admin.errors == []


def test_starting_a_pilot_asks_for_the_plan(visit, platform):
    analyst = visit("analyst")
    page = analyst.page
    page.goto("/pmo/catalog")
    card = page.locator(".card", has_text="Contractor onboarding")
    expect(card.get_by_role("button", name=re.compile("^Retire"))).to_have_count(0)  # admin's call
    card.get_by_role("button", name=re.compile("^Start pilot")).click()
    page.wait_for_url(re.compile(r"/move\?to=pilot"))
    page.get_by_label("Procurement and Vendor Management").check()
    page.get_by_label("HR Business Partners").check()
    page.get_by_label("How will you judge the pilot a success?").fill(
        "Contractors productive within two weeks for both pilot customers")
    page.get_by_role("button", name="Move to Pilot").click()
    expect(page.locator(".flash-ok")).to_contain_text("moved to Pilot")
    expect(page.locator(".column-pilot .card", has_text="Contractor onboarding")).to_be_visible()
    pilot = _service(platform, "Contractor onboarding")["pilot"]
    assert len(pilot["customer_ids"]) == 2
    assert analyst.errors == []


def test_a_move_on_a_stale_board_is_refused_not_applied(visit, platform):
    admin = visit("admin")
    page = admin.page
    page.goto("/pmo/catalog")
    service = _service(platform, "Delivery maturity assessment")
    with platform.api("catalog") as catalog:  # someone else moves it meanwhile
        moved = catalog.post(f"/v1/services/{service['id']}/transitions",
                             json={"to": "in_design", "reason": "moved elsewhere"},
                             headers={"If-Match": f'"{service["version"]}"'})
        assert moved.status_code == 200, moved.text
    card = page.locator(".column-proposed .card", has_text="Delivery maturity assessment")
    card.get_by_role("button", name=re.compile("^Design it")).click()
    expect(page.locator(".flash-error")).to_contain_text("catalog")
    assert _service(platform, "Delivery maturity assessment")["version"] == service["version"] + 1
    assert admin.errors == []


def test_a_detractor_is_assigned_then_resolved(visit):
    analyst = visit("analyst")
    page = analyst.page
    page.goto("/pmo/alerts")
    alerts = page.locator(".alert-list > li")
    before = alerts.count()
    first = alerts.first
    alert_id = first.get_attribute("id")
    first.get_by_label("Assign to").fill("ana-follow-up")
    first.get_by_role("button", name="Assign").click()
    expect(page.locator(".flash-ok")).to_contain_text("assigned to ana-follow-up")
    alert = page.locator(f"#{alert_id}")
    expect(alert).to_contain_text("assigned to ana-follow-up")
    alert.get_by_label("Follow-up note").fill("Called them; agreed a lighter report format")
    alert.get_by_role("button", name="Resolve").click()
    expect(page.locator(".flash-ok")).to_contain_text("resolved")
    expect(page.locator(".alert-list > li")).to_have_count(before - 1)
    expect(page.locator("#resolved-h")).to_be_visible()
    assert analyst.errors == []


def test_a_customer_endorses_a_need_once(visit, screenshots):
    customer = visit("Mobile App Team")
    page = customer.page
    page.goto("/me/endorse")
    already = page.locator(".need-list > li", has_text="You share this need").count()
    need = page.locator(".need-list > li", has=page.locator("form")).first
    need_id = need.get_attribute("id")
    need.get_by_label("How it affects you").fill("Our releases slip for the same reason")
    need.get_by_role("button", name=re.compile("We have this need too")).click()
    expect(page.locator(".flash-ok")).to_contain_text("Endorsed")
    expect(page.locator(f"#{need_id}")).to_contain_text("You share this need")
    expect(page.locator(".need-list > li", has_text="You share this need")).to_have_count(already + 1)
    page.screenshot(path=screenshots / "customer-endorsed.png", full_page=True)
    # the same endorsement again, as a second tab would send it, is refused politely
    csrf = page.locator('input[name="csrf"]').first.get_attribute("value")
    again = page.request.post(f"/me/endorse/{need_id.removeprefix('need-')}", form={"csrf": csrf},
                              max_redirects=0)
    assert again.status == 303
    page.goto(again.headers["location"].split("#")[0])  # same URL: a hash alone would not reload
    expect(page.locator(".flash-error")).to_contain_text("already endorsed")
    assert customer.errors == []


def test_a_customer_answers_a_pending_survey(visit, platform, screenshots):
    cdo = platform.customer("Chief Digital Officer")
    with platform.api("intake") as intake:
        demand = next(d for d in intake.get("/v1/demands", params={
            "customer_id": cdo["id"], "status": "in_progress"}).json()["items"])
        delivered = intake.post(f"/v1/demands/{demand['id']}/transitions",
                                json={"to": "delivered", "reason": "lighter gate live"},
                                headers={"If-Match": f'"{demand["version"]}"'})
        assert delivered.status_code == 200, delivered.text
    _wait_for_survey(platform, cdo["id"], demand["id"])

    customer = visit("Chief Digital Officer")
    page = customer.page
    page.goto("/me/surveys")
    survey = page.locator("form", has_text=demand["title"])
    survey.get_by_role("group", name=re.compile("How satisfied")).get_by_label("4 · Very").check()
    survey.get_by_role("group", name=re.compile("How much was it worth")).get_by_label(
        "5 · Extremely").check()
    survey.get_by_label("How likely are you to recommend").select_option("9")
    survey.get_by_label("Anything else?").fill("The lighter gate saved us two weeks.")
    page.screenshot(path=screenshots / "customer-survey-pending.png", full_page=True)
    survey.get_by_role("button", name="Send answer").click()
    expect(page.locator(".flash-ok")).to_contain_text("Thank you")
    expect(page.locator("form", has_text=demand["title"])).to_have_count(0)
    assert customer.errors == []


def _wait_for_survey(platform, customer_id: str, demand_id: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    with platform.api("feedback") as feedback:
        while time.monotonic() < deadline:
            pending = feedback.get("/v1/surveys/pending", params={"customer_id": customer_id})
            if any(s["demand_id"] == demand_id for s in pending.json()["items"]):
                return
            time.sleep(0.3)
    raise AssertionError("feedback never opened the survey for the delivered demand")


def test_sign_in_with_a_token_from_the_identity_provider(visit):
    visitor = visit(None)
    page = visitor.page
    page.goto("/signin")
    page.get_by_label("Bearer token from the enterprise identity provider").fill("not-a-token")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".flash-error")).to_contain_text("three parts")
    token = issue_token(DEVELOPMENT_JWT_SECRET, "exec-from-idp", ["viewer"])
    page.get_by_label("Bearer token from the enterprise identity provider").fill(token)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/exec")
    expect(page.locator(".who")).to_contain_text("exec-from-idp")
    cookie = next(c for c in visitor.context.cookies() if c["name"] == "pmo_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("pmo_session") == -1
    # errors: only the deliberate 401 of the bad token
    assert all("401" in error for error in visitor.errors), visitor.errors


def test_forged_posts_are_refused(visit, platform):
    admin = visit("admin")
    request = admin.page.request  # carries the session cookie, like a forged cross-site form would
    service = _service(platform, "Lessons learned library")
    no_token = request.post(f"{platform.portal}/pmo/catalog/{service['id']}/move",
                            form={"to": "retired", "from": "retired", "version": "1"})
    assert no_token.status == 403
    csrf = admin.page.locator('input[name="csrf"]').first.get_attribute("value")
    foreign = request.post(f"{platform.portal}/signout", form={"csrf": csrf},
                           headers={"Origin": "https://evil.example"})
    assert foreign.status == 403
