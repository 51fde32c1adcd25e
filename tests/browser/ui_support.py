"""What the browser tests share: where Chromium is, the two widths, and a signed-in visitor."""

from __future__ import annotations

import os

from shared.settings import REPO_ROOT

CHROMIUM = os.environ.get("PMO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 768, "height": 1024}
OPEN = ("submitted", "triaged", "planned")


class Visitor:
    """One signed-in person in their own browser context; console errors are collected."""

    def __init__(self, browser, base_url: str, viewport: dict) -> None:
        self.context = browser.new_context(base_url=base_url, viewport=viewport)
        self.context.set_default_timeout(45_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda message: self.errors.append(
            f"console.{message.type}: {message.text}") if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))

    def sign_in(self, identity: str) -> "Visitor":
        """Picks a demo identity: `admin`, `analyst`, `executive` or a customer's name."""
        self.page.goto("/signin")
        if identity in ("admin", "analyst", "executive"):
            self.page.locator(f'button[name="identity"][value="{identity}"]').click()
        else:
            self.page.locator('button[name="identity"]', has_text=identity).first.click()
        self.page.wait_for_load_state("load")
        assert "/signin" not in self.page.url, self.page.url
        return self

    def close(self) -> None:
        self.context.close()
