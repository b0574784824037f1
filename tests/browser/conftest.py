"""Browser tests: a real headless Chromium (Debian's) driven by Playwright against live_server.

Reusable by any page test: the ``browser`` (one per session) and ``page`` (one per
test) fixtures; ``tests.helpers.browser.browser_login`` logs a page in. Chromium is
a requirement, not an option: when it is missing the tests fail, they are not skipped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.worlds import world_build, world_compute

# Playwright's sync API runs an event loop in the test thread; Django would then
# refuse the test's own database calls as "async unsafe" without this.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "browser: drives a real headless Chromium (needs /usr/bin/chromium)")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install -y chromium", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page (own cookies) per test."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def world():
    """The company of ``tests.helpers.worlds``, with its snapshots."""
    built = world_build()
    world_compute()
    return built
