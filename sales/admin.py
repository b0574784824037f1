"""Admin for the sales facts: products, customers, deals, activities, surveys, expenses.

Model check constraints show as form errors: Django's ModelForm validation runs
``Model.validate_constraints`` before saving.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin
from django.db.models import F

from accounts.admin_widgets import SafeAutocompleteAdmin
from metrics.admin_hooks import KpiRecomputeOnChange
from sales.models import Activity, Customer, Deal, Expense, Product, SurveyResponse
from territories.admin import TerritorySubtreeFilter


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "series", "list_price"]
    list_filter = ["series"]
    search_fields = ["name", "series"]


class ChurnedFilter(admin.SimpleListFilter):
    title = "churned"
    parameter_name = "churned"

    def lookups(self, request, model_admin):
        return [("yes", "churned"), ("no", "not churned")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(churned_on__isnull=self.value() == "no")
        return queryset


@admin.register(Customer)
class CustomerAdmin(SafeAutocompleteAdmin, KpiRecomputeOnChange):
    # A customer's territory, owner and churn date shape its whole history: recompute all of it.
    kpi_date_fields = ()
    list_display = ["name", "external_id", "sector", "territory", "owner", "churned_on"]
    list_filter = [TerritorySubtreeFilter, ChurnedFilter, "sector"]
    search_fields = ["name", "external_id", "sector"]
    autocomplete_fields = ["territory", "owner"]
    list_select_related = ["territory", "owner"]


@admin.register(Deal)
class DealAdmin(SafeAutocompleteAdmin, KpiRecomputeOnChange):
    kpi_date_fields = ("created_on", "closed_on", "ends_on")
    list_display = [
        "external_id",
        "name",
        "owner",
        "customer",
        "territory",
        "stage",
        "amount",
        "refunded_amount",
        "net_amount",
        "created_on",
        "closed_on",
    ]
    list_filter = ["stage", TerritorySubtreeFilter, "product"]
    search_fields = ["external_id", "name", "customer__name", "owner__name", "owner__external_id"]
    date_hierarchy = "closed_on"
    autocomplete_fields = ["owner", "customer", "territory"]
    list_select_related = ["owner", "customer", "territory"]
    readonly_fields = ["net_amount"]
    fieldsets = [
        (None, {"fields": ["external_id", "name", "product", "owner", "customer", "territory"]}),
        ("Stage", {"fields": ["stage", "lost_from_stage", "created_on", "closed_on", "ends_on"]}),
        ("Amounts", {"fields": ["amount", "refunded_amount", "net_amount"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(net=F("amount") - F("refunded_amount"))

    @admin.display(description="net amount", ordering="net")
    def net_amount(self, obj: Deal) -> Decimal | str:
        if obj.pk is None:
            return "—"
        return obj.net_amount


@admin.register(Activity)
class ActivityAdmin(SafeAutocompleteAdmin, KpiRecomputeOnChange):
    kpi_date_fields = ("occurred_on",)
    list_display = ["external_id", "kind", "occurred_on", "rep", "territory", "deal", "customer"]
    list_filter = ["kind", TerritorySubtreeFilter]
    search_fields = ["external_id", "rep__name", "rep__external_id", "customer__name", "deal__external_id"]
    date_hierarchy = "occurred_on"
    autocomplete_fields = ["rep", "territory", "deal", "customer"]
    list_select_related = ["rep", "territory", "deal", "customer"]


@admin.register(SurveyResponse)
class SurveyResponseAdmin(SafeAutocompleteAdmin, KpiRecomputeOnChange):
    kpi_date_fields = ("responded_on",)
    list_display = ["external_id", "kind", "score", "responded_on", "customer", "rep", "territory"]
    list_filter = ["kind", TerritorySubtreeFilter]
    search_fields = ["external_id", "customer__name", "rep__name", "comment"]
    date_hierarchy = "responded_on"
    autocomplete_fields = ["customer", "rep", "territory"]
    list_select_related = ["customer", "rep", "territory"]


class ExpenseForm(forms.ModelForm):
    class Meta:
        model = Expense
        fields = ["territory", "month", "category", "amount"]

    def clean_month(self):
        month = self.cleaned_data["month"]
        if month.day != 1:
            raise forms.ValidationError(
                f"An expense is booked per month: use the first day of the month ({month:%Y-%m}-01), not {month}."
            )
        return month


@admin.register(Expense)
class ExpenseAdmin(SafeAutocompleteAdmin, KpiRecomputeOnChange):
    kpi_date_fields = ("month",)
    form = ExpenseForm
    list_display = ["month_label", "territory", "category", "amount"]
    list_filter = ["category", TerritorySubtreeFilter]
    search_fields = ["territory__code", "territory__name", "category"]
    date_hierarchy = "month"
    autocomplete_fields = ["territory"]
    list_select_related = ["territory"]

    @admin.display(description="month", ordering="month")
    def month_label(self, obj: Expense) -> str:
        return f"{obj.month:%Y-%m}"


from sales import import_admin  # noqa: E402,F401  (registers ImportRun and the upload page)
