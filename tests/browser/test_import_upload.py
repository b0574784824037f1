"""An admin uploads a zip of the generic set in a real browser and reads the result page."""

from __future__ import annotations

import pytest

from sales.models import Deal, ImportRun
from tests.helpers.browser import browser_login
from tests.sales.fixtures.importing import generic_zip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_uploads_a_zip_and_sees_the_result(page, live_server, admin_user, tmp_path):
    archive = tmp_path / "crm-export.zip"
    archive.write_bytes(generic_zip())

    browser_login(page, live_server.url, admin_user.username, path="/admin/login/")
    page.goto(f"{live_server.url}/admin/sales/importrun/")
    page.click("text=Import CRM data")
    assert page.url == f"{live_server.url}/admin/sales/importrun/upload/"
    page.select_option("select[name=format]", "generic")
    page.set_input_files("input[name=files]", str(archive))
    with page.expect_navigation():
        page.click("#import-submit")

    assert page.inner_text("#import-status") == "Import done."
    rows = page.locator("#import-counts tbody tr").all_inner_texts()
    assert [row.split("\t") for row in rows] == [
        ["territories.csv", "territories", "4", "0", "0"],
        ["reps.csv", "reps", "2", "0", "0"],
        ["assignments.csv", "assignments", "3", "0", "0"],
        ["customers.csv", "customers", "2", "0", "0"],
        ["deals.csv", "deals", "4", "0", "0"],
        ["activities.csv", "activities", "2", "0", "0"],
        ["surveys.csv", "survey responses", "2", "0", "0"],
        ["targets.csv", "targets", "2", "0", "0"],
        ["expenses.csv", "expenses", "2", "0", "0"],
    ]
    page.screenshot(path=str(tmp_path / "import-result.png"), full_page=True)
    assert Deal.objects.count() == 4
    assert ImportRun.objects.get().user == admin_user


def test_a_rep_gets_not_found_for_the_upload_page(page, live_server, rep_user):
    user, _rep = rep_user
    browser_login(page, live_server.url, user.username)
    response = page.goto(f"{live_server.url}/admin/sales/importrun/upload/")
    assert response.status == 404
