"""Hostile values in every admin form field, the quota grid and upload file names."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from metrics.models import Distribution, Target
from reps.models import SalesRep
from sales.models import Customer, ImportRun
from territories.models import Territory
from tests.factories import SalesRepFactory
from tests.helpers.hostile import HOSTILE, assert_no_raw_payload, choice, period_error, row_counts, target_value

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("as_of")]

Errors = Callable[[str], list[str]]  # a hostile value → the field's errors ([] when the value is accepted)
SLUG_MESSAGE = "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
NO_CHOICE = "Select a valid choice. That choice is not one of the available choices."
# Plain text fields take every number and word look-alike as text: two of them stand for the rest there.
PLAIN_TEXT_SKIPS = ("10^20", "-1", "0", "1e400", "NaN", "bool", "list")


def text_field(max_length: int, *, slug: bool = False, email: bool = False) -> Errors:
    """A Django CharField (a SlugField, an EmailField): its own validator, then the length, then NUL."""

    def errors(value: str) -> list[str]:
        found = []
        if slug and not re.fullmatch(r"[-a-zA-Z0-9_]+", value):
            found.append(SLUG_MESSAGE)
        if email:
            found.append("Enter a valid email address.")  # no hostile value is one
        if len(value) > max_length:
            found.append(f"Ensure this value has at most {max_length} characters (it has {len(value)}).")
        if "\x00" in value:
            found.append("Null characters are not allowed.")
        return found

    errors.plain_text = not (slug or email)
    return errors


def date_field(value: str) -> list[str]:
    return ["Enter a valid date."]


def related(value: str) -> list[str]:
    return ["Null characters are not allowed." if "\x00" in value else NO_CHOICE]


def form_choice(value: str) -> list[str]:
    return [choice(value)]


def target_entry_errors(field: str) -> Errors:
    """The target entry form: text fields whose rules live in ``target_input_clean``."""

    def errors(value: str) -> list[str]:
        if "\x00" in value:
            return ["Null characters are not allowed."]
        if field in ("period", "value") and len(value) > 40:
            return [f"Ensure this value has at most 40 characters (it has {len(value)})."]
        if field == "scope":
            return [f"{value!r} is not territory:<code> or rep:<external_id>"]
        if field == "kpi":
            return [f"unknown KPI {value!r}"]
        if field == "period":
            return [period_error(value)]
        message = target_value(value)
        return [message] if message else []

    return errors


def decimal_field(max_digits: int, *, below_zero: str) -> Errors:
    """A Django DecimalField of ``max_digits`` digits that refuses a negative number with ``below_zero``."""

    def errors(value: str) -> list[str]:
        try:
            number = Decimal(value)
        except InvalidOperation:
            return ["Enter a number."]
        if not number.is_finite():
            return ["Enter a number."]
        if number < 0:
            return [below_zero]
        digits = len(number.as_tuple().digits) + max(number.as_tuple().exponent, 0)
        if digits > max_digits:
            return [f"Ensure that there are no more than {max_digits} digits in total."]
        return []

    return errors


def admin_forms(world) -> dict[str, tuple[str, Callable[[int], dict], dict[str, Errors]]]:
    """form → (URL, a valid POST for case number n, each field's errors). Unique fields take n."""
    tree, target = world["tree"], Target.objects.filter(rep=world["ana"]).order_by("month").first()
    free = SalesRepFactory(external_id="r-free", name="Free Rep")  # no assignment for a refused date to overlap
    months = dict.fromkeys(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov"], "8.33")
    return {
        "territory add": (
            reverse("admin:territories_territory_add"),
            lambda n: {"code": f"t{n}", "name": "T", "treebeard_position": "sorted-child",
                       "treebeard_ref_node": tree["na"].pk},
            {"code": text_field(64, slug=True), "name": text_field(200), "treebeard_position": form_choice,
             "treebeard_ref_node": related},
        ),
        "territory change": (
            reverse("admin:territories_territory_change", args=[tree["na-west"].pk]),
            lambda n: {"code": "na-west", "name": "NA West", "treebeard_position": "sorted-child",
                       "treebeard_ref_node": tree["na"].pk},
            {"name": text_field(200)},
        ),
        "rep add": (
            reverse("admin:reps_salesrep_add"),
            lambda n: {"name": "N", "external_id": f"r-{n}", "email": "", "user": "", "hired_on": "2020-01-01",
                       "left_on": "", "assignments-TOTAL_FORMS": "1", "assignments-INITIAL_FORMS": "0",
                       "assignments-MIN_NUM_FORMS": "0", "assignments-MAX_NUM_FORMS": "1000",
                       "assignments-0-territory": tree["uk"].pk, "assignments-0-start_date": "2024-01-01",
                       "assignments-0-end_date": ""},
            {"name": text_field(200), "external_id": text_field(100), "email": text_field(254, email=True),
             "user": related, "hired_on": date_field, "left_on": date_field, "assignments-0-territory": related,
             "assignments-0-start_date": date_field},
        ),
        "assignment add": (
            reverse("admin:territories_territoryassignment_add"),
            lambda n: {"rep": free.pk, "territory": tree["uk"].pk, "start_date": "2010-01-01",
                       "end_date": "2010-12-31"},
            {"rep": related, "territory": related, "start_date": date_field, "end_date": date_field},
        ),
        "target entry": (
            reverse("admin:metrics_target_add"),
            lambda n: {"scope": "territory:na", "kpi": "revenue", "period": "2026-Q1", "value": "1000",
                       "distribution": "", "_save": "1"},
            {**{f: target_entry_errors(f) for f in ("scope", "kpi", "period", "value")}, "distribution": related},
        ),
        "target change": (
            reverse("admin:metrics_target_change", args=[target.pk]),
            lambda n: {"value": "123"},
            {"value": decimal_field(18, below_zero="a target cannot be negative")},
        ),
        "distribution add": (
            reverse("admin:metrics_distribution_add"),
            lambda n: {"name": f"D{n}", "description": "", **months, "dec": "8.37"},
            {"name": text_field(100), "description": text_field(300)},
        ),
        "customer add": (
            reverse("admin:sales_customer_add"),
            lambda n: {"external_id": f"c-{n}", "name": "C", "sector": "retail", "territory": tree["uk"].pk,
                       "owner": world["cara"].pk, "churned_on": ""},
            {"external_id": text_field(200), "name": text_field(200), "sector": text_field(100),
             "churned_on": date_field},
        ),
        "import upload": (
            reverse("admin:sales_importrun_upload"),
            lambda n: {"format": "generic", "dry_run": "on"},
            {"format": form_choice},
        ),
    }  # fmt: skip


# Where an accepted value of these forms is stored (in the field of the same name).
SAVED_IN = {
    "territory add": Territory, "territory change": Territory, "rep add": SalesRep, "distribution add": Distribution,
    "customer add": Customer,
}  # fmt: skip


def form_errors(response) -> dict[str, list[str]]:
    """The errors of the form a page shows again, inline rows as "<prefix>-<row>-<field>"."""
    context = response.context
    form = context["adminform"].form if "adminform" in context else context["form"]
    errors = {name: list(messages) for name, messages in form.errors.items()}
    for inline in context.get("inline_admin_formsets", []):
        for row, row_errors in enumerate(inline.formset.errors):
            errors |= {f"{inline.formset.prefix}-{row}-{name}": list(m) for name, m in row_errors.items()}
    return errors


def test_hostile_admin_form_fields_re_render_with_the_field_error_and_write_nothing(company, admin_client):
    cases = 0
    for form_name, (url, valid, fields) in admin_forms(company).items():
        for field, expected_errors in fields.items():
            plain = getattr(expected_errors, "plain_text", False)
            for label, value in HOSTILE.items():
                if plain and label in PLAIN_TEXT_SKIPS:
                    continue
                cases += 1
                before = row_counts()
                data = {**valid(cases), field: value}
                if form_name == "import upload":
                    data["files"] = SimpleUploadedFile("deals.csv", b"external_id\n")
                response = admin_client.post(url, data)
                expected = expected_errors(value)
                if not expected:  # a value the field takes (a name, a code that is a slug): saved as sent
                    assert response.status_code == 302, (form_name, field, label, form_errors(response))
                    if form_name in SAVED_IN:
                        assert SAVED_IN[form_name].objects.filter(**{field: value}).exists(), (form_name, field)
                    continue
                assert response.status_code == 200, (form_name, field, label)
                assert form_errors(response) == {field: expected}, (form_name, field, label)
                for message in expected:
                    assert escape(message)[:200] in response.content.decode(), (form_name, field, label)
                assert_no_raw_payload(response)
                assert row_counts() == before, (form_name, field, label)
    assert cases == 30 * len(HOSTILE) - 9 * len(PLAIN_TEXT_SKIPS)


def test_hostile_quota_grid_filters_and_cells_change_nothing(company, admin_client):
    grid = reverse("admin:metrics_target_grid")
    filters = {
        "year": lambda v: (
            ["Ensure this value is less than or equal to 2999."] if re.fullmatch("[0-9]+", v) and int(v) > 2999
            else ["Ensure this value is greater than or equal to 1900."] if re.fullmatch("-?[0-9]+", v)
            else ["Enter a whole number."]
        ),
        "kpi": form_choice,
        "territory": form_choice,
    }  # fmt: skip
    for name, expected in filters.items():
        for value in HOSTILE.values():
            response = admin_client.get(grid, {"year": "2025", "kpi": "revenue", name: value})
            if "\x00" in value:  # refused in front of every admin page
                assert response.status_code == 400
                continue
            assert response.status_code == 200
            assert dict(response.context["filter_form"].errors) == {name: expected(value)}
            assert_no_raw_payload(response)

    def page() -> dict[str, str]:
        """The POST the grid page sends as drawn now."""
        drawn = admin_client.get(grid, {"year": "2025", "kpi": "revenue"})
        cells = {cell.name: cell.value for row in drawn.context["rows"] for cell in row.cells}
        return {"baseline": drawn.context["baseline"], **cells}

    ana = company["ana"]
    cell = f"c-{ana.pk}-1"
    before = row_counts()
    for value in HOSTILE.values():
        response = admin_client.post(f"{grid}?year=2025&kpi=revenue", {**page(), cell: value})
        message = target_value(value.strip())
        if message is None:  # "0": a valid target for January
            assert response.status_code == 302
            assert Target.objects.get(rep=ana, kpi="revenue", month=datetime.date(2025, 1, 1)).value == 0
            before = row_counts()
            continue
        assert response.status_code == 200
        assert response.context["errors"] == [f"{ana.name} ({ana.external_id}), January 2025: {message}"]
        assert_no_raw_payload(response)
        assert row_counts() == before
        # A baseline that is not the page's: read as none, so no cell counts as changed by this user.
        unreadable = admin_client.post(f"{grid}?year=2025&kpi=revenue", {**page(), "baseline": value})
        assert unreadable.status_code == 302
        assert row_counts() == before


def test_hostile_upload_file_names_are_recorded_and_shown_escaped(company, admin_client):
    upload = reverse("admin:sales_importrun_upload")
    for name in ["<script>alert(1)</script>.csv", '"><img src=x onerror=alert(1)>.csv', "a\x00b.csv",
                 "\u202evsc.csv", "../../etc/passwd", "=HYPERLINK(1).csv", "x" * 300 + ".csv"]:  # fmt: skip
        runs = ImportRun.objects.count()
        response = admin_client.post(upload, {"format": "generic", "dry_run": "on",
                                              "files": SimpleUploadedFile(name, b"external_id\n")})  # fmt: skip
        assert response.status_code == 200, name[:40]
        assert ImportRun.objects.count() == runs + 1  # a dry run is recorded, like any run
        assert_no_raw_payload(response)
        record = admin_client.get(reverse("admin:sales_importrun_change", args=[ImportRun.objects.latest("pk").pk]))
        assert record.status_code == 200
        assert_no_raw_payload(record)
