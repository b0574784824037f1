"""Logging in through a real browser page (Playwright)."""

from __future__ import annotations

# Passwords of the users made by tests.factories.UserFactory.
TEST_PASSWORD = "pw-for-tests-1"


def browser_login(page, base_url: str, username: str, password: str = TEST_PASSWORD, *, path: str = "/login/") -> None:
    """Log in through a login form (the site's at /login/, or the admin's at /admin/login/)."""
    page.goto(f"{base_url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("[type=submit]")
