"""/imports: a zip of CSV files in, the import run out (errors as {file, line, column, message}); admins only."""

from __future__ import annotations

import io
import zipfile

import pytest

from sales.models import Deal, ImportRun

pytestmark = pytest.mark.django_db

DEALS_HEADER = "external_id,owner_external_id,stage,amount,territory_code,created_on,closed_on\n"


def crm_zip(name: str = "crm.zip", **files: str) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for file_name, text in files.items():
            archive.writestr(file_name.replace("_csv", ".csv"), text)
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_a_good_zip_is_imported_and_its_months_recomputed(world, api, django_capture_on_commit_callbacks):
    upload = crm_zip(
        reps_csv="external_id,name,email\nr-new,New Rep,new@example.com\n",
        deals_csv=DEALS_HEADER + "d-new,r-linked,won,1234.50,na-east,2025-07-01,2025-07-15\n",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api("admin").post("/api/v1/imports", {"file": upload}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    run = ImportRun.objects.get(pk=body["id"])
    assert response["Location"] == f"/api/v1/imports/{run.pk}"
    assert (body["status"], body["format"], body["dry_run"]) == ("succeeded", "generic", False)
    assert body["source"] == "upload"
    assert (body["error_count"], body["errors"], body["warnings"]) == (0, [], [])
    assert body["counts"] == {
        "reps.csv": {"reps": {"created": 1, "updated": 0, "unchanged": 0}},
        "deals.csv": {"deals": {"created": 1, "updated": 0, "unchanged": 0}},
    }
    assert body["affected_months"] == ["2025-07-01"]
    assert [f["name"] for f in body["files"]] == ["reps.csv", "deals.csv"]
    assert Deal.objects.get(external_id="d-new").territory.code == "na-east"
    # The import asked for a recompute of the months it touched: the API reads the new deal's revenue.
    kpis = api("manager").get("/api/v1/kpis?scope=territory:na-east&period=2025-07&kpi=revenue,deals_won").json()
    assert (kpis["kpis"]["revenue"]["value"], kpis["kpis"]["deals_won"]["value"]) == (1234.5, 1)


def test_errors_come_back_as_a_list_and_nothing_is_written(world, api):
    deals_before = Deal.objects.count()
    upload = crm_zip(
        deals_csv=DEALS_HEADER
        + "d-bad1,r-linked,won,ten,na-east,2025-07-01,2025-07-15\n"
        + "d-bad2,r-linked,won,10,atlantis,2025-07-01,2025-07-15\n"
        + "d-bad3,r-linked,won,10,na-east,2025-07-20,2025-07-15\n",
    )
    response = api("admin").post("/api/v1/imports", {"file": upload}, format="multipart")
    assert response.status_code == 201
    body = response.json()
    assert (body["status"], body["error_count"]) == ("failed", 3)
    assert [(e["file"], e["line"], e["column"]) for e in body["errors"]] == [
        ("deals.csv", 2, "amount"),
        ("deals.csv", 3, "territory_code"),
        ("deals.csv", 4, "closed_on"),
    ]
    assert all(e["message"] for e in body["errors"])
    assert Deal.objects.count() == deals_before
    # The run keeps them: reading it back gives the same list.
    stored = api("admin").get(f"/api/v1/imports/{body['id']}").json()
    assert stored["errors"] == body["errors"]
    assert stored["status"] == "failed"


def test_an_archive_that_is_not_a_zip_is_reported_as_an_import_error(world, api):
    junk = io.BytesIO(b"this is not a zip")
    junk.name = "crm.zip"
    body = api("admin").post("/api/v1/imports", {"file": junk}, format="multipart").json()
    assert body["status"] == "failed"
    assert body["errors"] == [
        {"file": "crm.zip", "line": None, "column": "", "message": "not a zip archive (or a damaged one)"}
    ]


def test_a_dry_run_writes_nothing(world, api):
    upload = crm_zip(reps_csv="external_id,name\nr-dry,Dry Rep\n")
    body = api("admin").post("/api/v1/imports", {"file": upload, "dry_run": "true"}, format="multipart").json()
    assert (body["status"], body["dry_run"]) == ("succeeded", True)
    assert body["counts"] == {"reps.csv": {"reps": {"created": 1, "updated": 0, "unchanged": 0}}}
    assert not world.reps["r-linked"].__class__.objects.filter(external_id="r-dry").exists()


def test_stored_issues_are_read_back_into_their_parts(world, api):
    body = api("admin").get(f"/api/v1/imports/{world.import_run.pk}").json()
    assert body["errors"] == [
        {"file": "deals.csv", "line": 3, "column": "amount", "message": "'ten' is not a number"},
        {
            "file": "deals.csv",
            "line": 4,
            "column": "",
            "message": "the database refused the import, nothing was written: boom",
        },
        {
            "file": "(import)",
            "line": None,
            "column": "",
            "message": "no file to import; expected some of territories.csv",
        },
    ]
    assert body["warnings"] == [
        {"file": "reps.csv", "line": None, "column": "colour", "message": "unknown column (ignored)"}
    ]


NOT_A_FILE = "The submitted data was not a file. Check the encoding type on the form."


@pytest.mark.parametrize(
    ("data", "fields"),
    [
        (lambda: {}, {"file": ["This field is required."]}),
        (lambda: {"file": "not-a-file"}, {"file.0": [NOT_A_FILE]}),
        (
            lambda: {"format": "excel", "file": crm_zip(reps_csv="external_id,name\n")},
            {"format": ['"excel" is not a valid choice.']},
        ),
    ],
)
def test_bad_uploads_are_400_naming_the_field(world, api, data, fields):
    response = api("admin").post("/api/v1/imports", data(), format="multipart")
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == fields


def test_a_json_body_is_refused_with_415(world, api):
    response = api("admin").post("/api/v1/imports", {"file": "x"}, format="json")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
