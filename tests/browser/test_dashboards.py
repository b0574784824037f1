"""Dashboards in a real Chromium: every role's landing page with its cards and drawn Plotly charts,
no console error and no request leaving the server, the period picker, a drill-down, a CSV download,
and a rep refused another rep's scorecard. One more test seeds the demo company and photographs the
main pages (into docs/screenshots when DASHBOARD_SCREENSHOTS names that folder).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.helpers.browser import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("as_of")]


class Watch:
    """Console errors, page errors and the hosts of every request a page makes."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.hosts: set[str] = set()
        page.on("console", lambda message: message.type == "error" and self.errors.append(message.text))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("request", self._request)

    def _request(self, request) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss"):
            self.hosts.add(url.netloc)


def charts_drawn(page) -> int:
    """Plotly charts actually rendered (a plot div with its SVG drawn); every embedded figure must be drawn."""
    figures = page.locator(".js-plot").count()
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot svg.main-svg:first-of-type').length >= n", arg=figures
    )
    drawn = page.locator(".js-plotly-plot:has(svg.main-svg)").count()
    assert drawn == figures
    return drawn


@pytest.mark.parametrize(
    ("role", "landing", "heading", "min_charts"),
    [
        # No survey or activity in this small company: those charts say so instead of drawing.
        ("admin", "/company/", "Company 2025-Q4", 6),
        ("manager_a", "/territories/na/", "North America 2025-Q4", 6),
        ("rep_a", "/me/", "Ana Alpha 2025-Q4", 5),
    ],
)
def test_each_role_lands_on_cards_and_charts(page, live_server, world, role, landing, heading, min_charts):
    watch = Watch(page)
    browser_login(page, live_server.url, world[role].username)
    assert page.url == f"{live_server.url}{landing}"
    assert page.inner_text("h1") == heading
    assert page.locator("article.kpi").count() >= 24
    assert page.locator("article.kpi[data-kpi=revenue] .value").inner_text().startswith("USD ")
    assert charts_drawn(page) >= min_charts
    assert watch.errors == []
    assert watch.hosts == {urlparse(live_server.url).netloc}


def test_manager_changes_period_drills_down_and_downloads_csv(page, live_server, world, tmp_path):
    watch = Watch(page)
    browser_login(page, live_server.url, world["manager_a"].username)
    with page.expect_navigation():
        page.select_option("#period-select", "2025")  # the picker submits itself on change
    assert page.url == f"{live_server.url}/territories/na/?period=2025"
    assert page.inner_text("h1") == "North America 2025"
    # 2025: Q3's 1,000 and Q4's 6,500.
    assert page.inner_text("article.kpi[data-kpi=revenue] .value") == "USD 7,500.00"

    with page.expect_navigation():
        page.click("article.kpi[data-kpi=revenue] a.drill")
    assert page.url == f"{live_server.url}/territories/na/drill/revenue/?period=2025"
    deals = [row.split("\t")[0] for row in page.locator("table.drill tbody tr").all_inner_texts()]
    assert deals == ["d-4", "d-2", "d-1", "d-q3"]

    with page.expect_download() as download_info:
        page.click("text=Download all 4 rows (CSV)")
    download = download_info.value
    assert download.suggested_filename == "revenue-territory-na-2025.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert rows[0] == ["Deal", "Customer", "Owner", "Territory", "Stage", "Created", "Closed", "Amount", "Refunded",
                       "Net amount"]  # fmt: skip
    assert [r[0] for r in rows[1:]] == ["d-4", "d-2", "d-1", "d-q3"]
    assert watch.errors == []
    assert watch.hosts == {urlparse(live_server.url).netloc}


def test_leaderboard_csv_download(page, live_server, world, tmp_path):
    browser_login(page, live_server.url, world["manager_a"].username)
    with page.expect_download() as download_info:
        page.click("#leaderboard >> text=Download (CSV)")
    target = tmp_path / "board.csv"
    download_info.value.save_as(target)
    rows = list(csv.reader(io.StringIO(target.read_text())))
    assert [(r[0], r[2]) for r in rows[1:]] == [("1", "Ana Alpha"), ("2", "Ben Beta")]


def test_rep_opening_another_reps_scorecard_gets_404(page, live_server, world):
    browser_login(page, live_server.url, world["rep_a"].username)
    response = page.goto(f"{live_server.url}/reps/{world['ben'].pk}/")
    assert response.status == 404
    assert page.inner_text("h1") == "Not found"
    assert "Ben Beta" not in page.content()
    response = page.goto(f"{live_server.url}/reps/{world['ana'].pk}/")
    assert response.status == 200


SHOTS = [
    ("admin", "/company/?period=2025", "company-overview.png"),
    ("manager", "/territories/na/?period=2025", "territory-dashboard.png"),
    ("manager", "/territories/na/drill/revenue/?period=2025-Q4", "drill-down.png"),
    ("rep", "/me/?period=2025", "rep-scorecard.png"),
]


def test_demo_company_screenshots(page, live_server, tmp_path):
    """Seed the demo company (scale 1) and photograph the main pages as each demo login sees them."""
    from sales.demo.services import demo_data_seed

    demo_data_seed(scale=1, seed=42, progress=lambda message: None)
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": 1360, "height": 900})
    watch = Watch(page)
    for username, path, name in SHOTS:
        page.context.clear_cookies()
        browser_login(page, live_server.url, username, "demo")
        page.goto(f"{live_server.url}{path}")
        if page.locator(".js-plot").count():
            assert charts_drawn(page) >= 4
        page.screenshot(path=str(folder / name), full_page=True)
        assert (folder / name).stat().st_size > 20_000
    assert watch.errors == []
    assert watch.hosts == {urlparse(live_server.url).netloc}
