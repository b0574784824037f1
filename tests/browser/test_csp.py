"""The Content-Security-Policy in a real Chromium: the dashboards and the admin pages run with no
violation (Plotly charts drawn, the territory tree, the quota grid), and an injected inline script is
refused by the browser.
"""

from __future__ import annotations

import pytest

from tests.helpers.browser import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("as_of")]

# Each violation the page reports, with what was blocked and where.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(
  [e.violatedDirective, e.blockedURI, e.sourceFile, e.lineNumber, e.columnNumber, e.sample].join(" | ")));
"""


def violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def open_page(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return violations(page)


def test_dashboards_draw_their_charts_without_a_violation(page, live_server, world):
    page.add_init_script(RECORD_VIOLATIONS)
    browser_login(page, live_server.url, world["admin"].username)
    for path in ["/company/", "/territories/na/?period=2025", "/territories/na/drill/revenue/?period=2025"]:
        assert open_page(page, f"{live_server.url}{path}") == [], path
    assert page.locator(".js-plotly-plot svg.main-svg").count() == 0  # the drill-down has no chart
    page.goto(f"{live_server.url}/company/")
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot svg.main-svg').length >= 6")
    assert violations(page) == []


ADMIN_PAGES = [
    "/admin/",
    "/admin/territories/territory/",  # treebeard's tree with its drag-and-drop script
    "/admin/territories/territory/add/",
    "/admin/reps/salesrep/",
    "/admin/metrics/target/",
    "/admin/metrics/target/add/",  # the entry form with its month preview
    "/admin/metrics/target/grid/?year=2025",  # the quota grid and its script
    "/admin/metrics/distribution/add/",  # the 12 percentages and their live total
    "/admin/sales/deal/",
    "/admin/auth/user/add/",
    "/api/v1/docs",  # Swagger UI, its script served as a separate file
    "/api/v1/docs/redoc",
]


def test_admin_pages_and_api_docs_run_without_a_violation(page, live_server, world):
    page.add_init_script(RECORD_VIOLATIONS)
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    failed: list[str] = []
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    browser_login(page, live_server.url, world["admin"].username, path="/admin/login/")
    for path in ADMIN_PAGES:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        # ReDoc asks for its logo from its CDN: the policy refuses it, so nothing leaves the site.
        expected = ["img-src | https://cdn.redoc.ly/redoc/logo-mini.svg |  | 0 | 0 | "] if "redoc" in path else []
        assert violations(page) == expected, path
    assert failed == []
    # The admin has no favicon link, so Chromium's own /favicon.ico request gets a 404 (not a page request).
    assert [e for e in errors if "cdn.redoc.ly" not in e and "404 (Not Found)" not in e] == []


def test_an_injected_inline_script_is_refused(page, live_server, world):
    """The policy is enforced, not only sent: a script written into the page does not run."""
    page.add_init_script(RECORD_VIOLATIONS)
    browser_login(page, live_server.url, world["admin"].username)
    page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.__ran = true';
                   document.body.appendChild(s); }"""
    )
    assert page.evaluate("window.__ran === undefined") is True
    assert [v.split(" | ")[0] for v in violations(page)] == ["script-src-elem"]
