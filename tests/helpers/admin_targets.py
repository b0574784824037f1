"""URLs, entry form data and page readers of the target admin tests."""

import datetime
import html

from django.urls import reverse

from metrics.models import Target, TargetChange

D = datetime.date
ENTRY = reverse("admin:metrics_target_add")
TARGETS = reverse("admin:metrics_target_changelist")
CHANGES = reverse("admin:metrics_targetchange_changelist")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def page(response) -> str:
    return html.unescape(response.content.decode())


def preview_rows(response) -> list[tuple[str, str]]:
    return [(row.month, row.value) for row in response.context["preview"].rows]


def counts():
    return Target.objects.count(), TargetChange.objects.count()


def entry(scope="territory:na", kpi="revenue", period="2025-Q2", value="210000", distribution="", **extra):
    return {"scope": scope, "kpi": kpi, "period": period, "value": value, "distribution": distribution, **extra}
