"""Signing in to the operator console in real headless Chromium, against the performance service run as
a process: without a session the page and its data are refused; a wrong token is explained; the right
one opens the overview with a session cookie no script can read; signing out closes it again."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.platform import Platform

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]

FETCH_STATUS = "async (path) => (await fetch(path, { credentials: 'same-origin' })).status"


@pytest.fixture
async def base(platform: Platform) -> str:
    await platform.start(("performance",))
    return platform.url("performance")


def _shots() -> Path:
    path = Path(os.environ.get("CONSOLE_SCREENSHOT_DIR", "/tmp/satupintu-console"))
    path.mkdir(parents=True, exist_ok=True)
    return path


async def _status(page: Page, path: str) -> Any:
    return await page.evaluate(FETCH_STATUS, path)


async def test_an_operator_signs_in_sees_the_overview_and_signs_out(
    browser: Browser, base: str, platform: Platform
) -> None:
    context = await browser.new_context(locale="id-ID", viewport={"width": 1360, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # Not signed in: the console sends the browser to the sign-in page, and its data stays closed.
    await page.goto(f"{base}/")
    await expect(page).to_have_url(f"{base}/sign-in")
    await expect(page.locator("form#sign-in h1")).to_have_text("Masuk ke Konsol Operator")
    for path in ("/v1/overview", "/v1/dead-letters", "/console/config.json", "/console/session"):
        assert await _status(page, path) == 401, path

    # A wrong token is refused and said so, in the page's language.
    await page.locator("#token").fill("0" * 16 + "f" * 48)
    await page.locator("form#sign-in button[type=submit]").click()
    await expect(page.locator("#sign-in-error")).to_have_text("Token tidak dikenal atau tidak berlaku.")
    await expect(page).to_have_url(f"{base}/sign-in")
    assert await _status(page, "/v1/overview") == 401
    await page.screenshot(path=str(_shots() / "sign-in.png"))

    # The operator token opens the overview; the session is an HttpOnly, SameSite=Strict cookie.
    await page.locator("#lang").select_option("en")
    await expect(page.locator("form#sign-in h1")).to_have_text("Sign in to the Operator Console")
    await page.locator("#token").fill(platform.env["SATUPINTU_OPERATOR_TOKEN"])
    await page.locator("form#sign-in button[type=submit]").click()
    await expect(page).to_have_url(f"{base}/")
    await expect(page.locator("nav.main a.active")).to_have_text("Overview")
    await expect(page.locator("[data-stat='overview.dead_letters'] .stat-value")).to_have_text("0")
    await expect(page.locator("#live")).to_have_attribute("data-state", "ok")
    await expect(page.locator("#who")).to_have_text("operator-token · operator")
    (cookie,) = await context.cookies()
    assert cookie["name"] == "satupintu_session" and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert platform.env["SATUPINTU_OPERATOR_TOKEN"] not in cookie["value"]
    assert await page.evaluate("document.cookie") == ""
    assert await _status(page, "/v1/overview") == 200

    # Signing out ends the session: back to the sign-in page, data closed again.
    await page.locator("button.sign-out").click()
    await expect(page).to_have_url(f"{base}/sign-in")
    assert await context.cookies() == []
    assert await _status(page, "/v1/overview") == 401
    assert not errors, errors


async def test_a_plain_form_post_signs_in_too_and_an_expired_session_returns_to_sign_in(
    browser: Browser, base: str, platform: Platform
) -> None:
    context = await browser.new_context(locale="en-US", java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{base}/sign-in")
    await page.locator("#token").fill("not-a-token")
    await page.locator("form#sign-in button[type=submit]").click()
    await expect(page).to_have_url(f"{base}/sign-in?error=invalid")
    await page.locator("#token").fill(platform.env["SATUPINTU_ADMIN_TOKEN"])
    await page.locator("form#sign-in button[type=submit]").click()
    await expect(page).to_have_url(f"{base}/")
    assert [c["name"] for c in await context.cookies()] == ["satupintu_session"]

    # A session cookie the server did not issue (or that expired) is refused and leads to sign-in.
    scripted = await browser.new_context(locale="en-US")
    await scripted.add_cookies(
        [{"name": "satupintu_session", "value": "eyJzdWIiOiJ4In0.forged", "url": base}]
    )
    page = await scripted.new_page()
    await page.goto(f"{base}/")
    await expect(page).to_have_url(f"{base}/sign-in")
    await page.goto(f"{base}/sign-in?expired=1")
    await expect(page.locator("#sign-in-error")).to_have_text("Your session ended; please sign in again.")
