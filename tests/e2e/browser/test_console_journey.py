"""The operator console in real headless Chromium, against the performance service run as a process
with real lifecycle events in Kafka and PostgreSQL: signing in, overview charts, search by tracking number,
the journey with its statuses and its traces drawn from (a stand-in for) Jaeger's query API."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from satupintu_shared.settings import KafkaSettings
from satupintu_shared.topics import Topics
from tests.support.otlp import OtlpReceiver
from tests.support.platform import Platform

from .jaeger_stub import JaegerQueryStub
from .scenario import AGENCY, Numbers, publish_scenario

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.kafka, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def jaeger(otlp: OtlpReceiver) -> Iterator[JaegerQueryStub]:
    stub = JaegerQueryStub(otlp).start()
    yield stub
    stub.stop()


async def _until(check: Any, what: str, timeout: float = 45.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := await check():
            return result
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


async def _timeline_complete(base: str, numbers: Numbers, headers: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:

        async def ready() -> bool:
            done = await client.get(f"/v1/requests/{numbers.done}/timeline")
            lost = await client.get(f"/v1/requests/{numbers.lost}/timeline")
            dead = await client.get("/v1/dead-letters")
            return (
                len(dead.json()["items"]) == 1
                and done.status_code == 200
                and done.json()["status"] == "completed"
                and len(done.json()["trace_ids"]) == 2
                and lost.status_code == 200
            )

        await _until(ready, "the timeline API to show the scenario")


@pytest.fixture
async def console(
    platform: Platform, jaeger: JaegerQueryStub, otlp: OtlpReceiver, topics: Topics, kafka_bootstrap: str
) -> tuple[str, Numbers]:
    """The performance service, fed the scenario; returns its URL and the tracking numbers."""
    platform.env.update({"JAEGER_QUERY_URL": jaeger.url, "JAEGER_UI_URL": "http://jaeger.example:16686"})
    await platform.start(("performance",))
    kafka = KafkaSettings(kafka_bootstrap_servers=kafka_bootstrap, topic_prefix=topics.prefix)
    numbers = await publish_scenario(kafka, topics.lifecycle, otlp.url, uuid.uuid4().hex[:6].upper())
    base = platform.url("performance")
    await _timeline_complete(base, numbers, platform.headers())
    return base, numbers


def _shots() -> Path:
    path = Path(os.environ.get("CONSOLE_SCREENSHOT_DIR", "/tmp/satupintu-console"))
    path.mkdir(parents=True, exist_ok=True)
    return path


async def _open(browser: Browser, base: str, locale: str, token: str) -> tuple[Page, list[str]]:
    """A new browser session on the console, signed in with ``token`` through the sign-in page."""
    context = await browser.new_context(locale=locale, viewport={"width": 1360, "height": 900})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{base}/")
    await expect(page).to_have_url(f"{base}/sign-in")
    await page.locator("#token").fill(token)
    await page.locator("form#sign-in button[type=submit]").click()
    await expect(page).to_have_url(f"{base}/")
    return page, errors


async def test_an_operator_finds_a_request_by_tracking_number_and_sees_its_journey_and_trace(
    browser: Browser, console: tuple[str, Numbers], platform: Platform
) -> None:
    base, numbers = console
    page, errors = await _open(browser, base, "id-ID", platform.env["SATUPINTU_OPERATOR_TOKEN"])

    # The overview, in Indonesian because the browser asks for it, with both charts drawn.
    await expect(page.locator("nav.main a.active")).to_have_text("Ikhtisar")
    await expect(page.locator("svg.line-chart")).to_have_attribute("data-points", "61")
    await expect(page.locator("svg.line-chart circle.dot").first).to_be_attached()
    on_time = page.locator("section.card", has_text="Tingkat tepat waktu").locator("svg.bar-chart rect.bar")
    await expect(on_time).to_have_count(1)
    await expect(page.locator("[data-stat='overview.unroutable'] .stat-value")).to_have_text("1")
    await expect(page.locator("[data-stat='overview.dead_letters'] .stat-value")).to_have_text("1")
    await expect(page.locator("#live")).to_have_attribute("data-state", "ok")
    await page.screenshot(path=str(_shots() / "overview.png"), full_page=True)

    # Search → the journey: statuses in order, time in each state, routing reason, due time.
    await page.locator("nav.main a[data-nav='journey']").click()
    await page.locator("form.search input").fill(numbers.done.lower())
    await page.locator("form.search input").press("Enter")
    await expect(page).to_have_url(f"{base}/#/requests/{numbers.done}")
    events = page.locator("table.events tbody tr")
    await expect(events).to_have_count(4)
    await expect(events.locator(".event-name")).to_have_text(
        ["Permohonan diajukan", "Didisposisikan ke instansi", "Diterima instansi", "Selesai"]
    )
    await expect(page.locator(".journey-head .badge").first).to_have_text("Selesai")
    await expect(page.locator("ol.reasons")).to_contain_text("Kota Bandung berwenang")
    await expect(page.locator("table.stays tbody tr")).to_have_count(4)
    await expect(
        page.locator("section.card", has_text="Lama di setiap status").locator("rect.bar")
    ).to_have_count(3)

    # The request's own trace as a waterfall, then the later agency trace (an error span, a link back).
    waterfall = page.locator(".waterfall")
    await expect(waterfall.locator(".wf-row[data-service='test-intake']").first).to_contain_text(
        "POST /v1/requests"
    )
    await page.screenshot(path=str(_shots() / "journey-request-trace.png"), full_page=True)
    assert await waterfall.locator(".wf-row[data-service='test-intake']").count() >= 3
    # Performance's own consume spans join the request's trace too, so hops are not in a fixed order.
    await expect(waterfall.locator("ul.hops li", has_text="test-intake → test-routing").first).to_be_visible()
    await expect(waterfall.locator(".wf-row[data-service='test-routing'] .wf-hop")).to_be_visible()
    await expect(page.locator(".trace-body a[href^='http://jaeger.example:16686/trace/']")).to_be_visible()
    await page.locator(".chips .chip").nth(1).click()
    await expect(waterfall.locator(".wf-row[data-service='test-agency']").first).to_contain_text(
        "agency status"
    )
    await expect(waterfall.locator(".wf-row.wf-error")).to_have_count(1)
    await expect(waterfall.locator(".badge.link")).to_have_count(1)
    await page.screenshot(path=str(_shots() / "journey.png"), full_page=True)

    # Following the span link returns to the request's trace.
    await waterfall.locator(".wf-row", has=page.locator(".badge.link")).click()
    await page.locator(".wf-details:not([hidden]) button.link").click()
    await expect(page.locator(".chips .chip").first).to_have_class("chip active")
    await expect(waterfall.locator(".wf-row[data-service='test-intake']").first).to_contain_text("POST")

    # The language switch, and the breach list leading to the late request's journey.
    await page.locator("#lang").select_option("en")
    await expect(page.locator(".journey-head .badge").first).to_have_text("Completed")
    await page.locator("nav.main a[data-nav='breaches']").click()
    await page.locator(f"table.data a.tn:text('{numbers.late}')").click()
    await expect(page.locator(".journey-head")).to_contain_text("deadline missed")
    await expect(page.locator("dl.facts")).to_contain_text(AGENCY)

    # The dead letter, with its reason, leads to the journey of the request it was about.
    await page.locator("nav.main a[data-nav='dead-letters']").click()
    dead = page.locator("table.data tbody tr")
    await expect(dead).to_have_count(1)
    await expect(dead.locator(".reason")).not_to_be_empty()
    await page.screenshot(path=str(_shots() / "dead-letters.png"), full_page=True)
    await dead.locator("a.tn").click()
    await expect(page).to_have_url(f"{base}/#/requests/{numbers.late}")

    # The scorecards: the agency's ranking chart and its own scorecard.
    await page.locator("nav.main a[data-nav='rankings']").click()
    await expect(page.locator("svg.bar-chart rect.bar")).to_have_count(1)
    await page.locator(f"table.data a:text('{AGENCY}')").click()
    await expect(page.locator(".stat", has_text="On time").locator(".stat-value")).to_have_text("100%")
    await page.screenshot(path=str(_shots() / "scorecard.png"), full_page=True)

    assert not errors, errors
    assert "3273014107900001" not in await page.content()


async def test_the_console_explains_an_unknown_tracking_number_and_a_missing_trace(
    browser: Browser, console: tuple[str, Numbers], jaeger: JaegerQueryStub, platform: Platform
) -> None:
    base, numbers = console
    page, errors = await _open(browser, base, "en-US", platform.env["SATUPINTU_OPERATOR_TOKEN"])
    await page.goto(f"{base}/#/requests/SP-NOPE-0000")
    await expect(page.locator(".notice[data-problem='404']")).to_contain_text("SP-NOPE-0000 is not known yet")

    # Jaeger has no trace for an id nobody exported: the proxy says 404, the page says so.
    jaeger.receiver.spans.clear()
    await page.goto(f"{base}/#/requests/{numbers.lost}")
    await expect(page.locator(".trace-body .notice[data-problem='404']")).to_be_visible()
    async with httpx.AsyncClient(base_url=base, headers=platform.headers()) as client:
        assert (await client.get("/v1/traces/not-a-trace-id")).status_code in (400, 422)
        missing = await client.get(f"/v1/traces/{'0' * 31}1")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
    assert not errors, errors
