"""The admin upload page: staff only (404 for everyone else), and it shows what the import did."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sales.models import Deal, ImportRun
from tests.factories import UserFactory
from tests.sales.fixtures.importing import GENERIC, db_counts, file_with_line, generic_zip

pytestmark = pytest.mark.django_db

UPLOAD = "/admin/sales/importrun/upload/"


def test_upload_url_is_the_named_admin_url():
    assert reverse("admin:sales_importrun_upload") == UPLOAD


def test_anonymous_users_get_404(client):
    assert client.get(UPLOAD).status_code == 404
    assert client.post(UPLOAD).status_code == 404


def test_managers_and_reps_get_404_not_a_login_redirect(client, manager_user, rep_user):
    for user in (manager_user, rep_user[0]):
        client.force_login(user)
        for response in (client.get(UPLOAD), client.post(UPLOAD, {"format": "generic"})):
            assert response.status_code == 404
    assert ImportRun.objects.count() == 0


def test_staff_without_the_import_permission_get_404(client):
    clerk = UserFactory(username="clerk", is_staff=True)
    client.force_login(clerk)
    assert client.get(UPLOAD).status_code == 404
    clerk.user_permissions.add(Permission.objects.get(codename="run_import"))
    client.force_login(clerk)
    assert client.get(UPLOAD).status_code == 200


def test_admin_uploads_a_zip_and_sees_the_counts(client, admin_user):
    client.force_login(admin_user)
    page = client.get(UPLOAD)
    assert page.status_code == 200
    assert b'name="files"' in page.content

    response = client.post(
        UPLOAD,
        {"format": "generic", "files": SimpleUploadedFile("export.zip", generic_zip("export/"))},
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Import done." in html
    assert "<tr><td>deals.csv</td><td>deals</td><td>4</td><td>0</td><td>0</td></tr>" in html
    assert "<tr><td>targets.csv</td><td>targets</td><td>2</td><td>0</td><td>0</td></tr>" in html
    assert Deal.objects.count() == 4
    run = ImportRun.objects.get()
    assert (run.user, run.source, run.status, run.format) == (admin_user, "upload", "succeeded", "generic")
    assert sorted(f["name"] for f in run.files) == sorted(p.name for p in GENERIC.glob("*.csv"))


def test_admin_uploads_several_csv_files_as_a_dry_run(client, admin_user):
    client.force_login(admin_user)
    files = [SimpleUploadedFile(name, (GENERIC / name).read_bytes()) for name in ("territories.csv", "reps.csv")]
    files.append(SimpleUploadedFile("notes.txt", b"hello"))
    before = db_counts()

    response = client.post(UPLOAD, {"format": "generic", "files": files, "dry_run": "on"})

    html = response.content.decode()
    assert "Dry run: no error. Nothing was written" in html
    assert "<tr><td>territories.csv</td><td>territories</td><td>4</td><td>0</td><td>0</td></tr>" in html
    assert "<code>notes.txt: not a file of this format (ignored)" in html
    assert db_counts() == before


def test_failed_upload_lists_the_errors_and_writes_nothing(client, admin_user):
    client.force_login(admin_user)
    bad = file_with_line("deals.csv", 2, "d1,r1,won,1000.00,First,c1,,0,2025-01-10,2025-01-05,,A,")
    before = db_counts()
    response = client.post(
        UPLOAD,
        {
            "format": "generic",
            "files": [
                SimpleUploadedFile(p.name, p.read_bytes()) for p in GENERIC.glob("*.csv") if p.name != "deals.csv"
            ]
            + [SimpleUploadedFile("deals.csv", bad.encode())],
        },
    )
    html = response.content.decode()
    assert "Import failed: 1 error. Nothing was written." in html
    assert "<code>deals.csv:2: closed_on: 2025-01-05 is before created_on 2025-01-10</code>" in html
    assert db_counts() == before
    assert ImportRun.objects.get().status == "failed"


def test_upload_without_files_shows_the_form_error(client, admin_user):
    client.force_login(admin_user)
    response = client.post(UPLOAD, {"format": "generic"})
    assert response.status_code == 200
    assert b"This field is required." in response.content
    assert ImportRun.objects.count() == 0


def test_import_runs_are_listed_read_only(client, admin_user):
    client.force_login(admin_user)
    client.post(UPLOAD, {"format": "generic", "files": SimpleUploadedFile("export.zip", generic_zip())})
    run = ImportRun.objects.get()
    listing = client.get("/admin/sales/importrun/")
    assert listing.status_code == 200
    assert f'href="{UPLOAD}"'.encode() in listing.content
    detail = client.get(f"/admin/sales/importrun/{run.pk}/change/")
    assert detail.status_code == 200
    assert b"deals.csv (deals): 4 created, 0 updated, 0 unchanged" in detail.content
    assert client.get("/admin/sales/importrun/add/").status_code == 403
    assert client.post(f"/admin/sales/importrun/{run.pk}/delete/").status_code == 403
