"""The models an import upserts, as ``EntitySpec``: natural key fields, then value fields.

The order of the value fields is the order of the tuples the readers hand to ``Upserter.add``.
"""

from __future__ import annotations

from dataclasses import replace

from reps.models import SalesRep
from sales.importers.plan import EntitySpec, field, ref
from sales.models import Activity, Customer, Deal, Expense, Product, SurveyResponse
from territories.models import Territory

EXTERNAL_ID = (field("external_id"),)
TERRITORY = ref("territory", Territory, "code")
CUSTOMER_REF = ref("customer", Customer, "external_id")
DEAL_REF = ref("deal", Deal, "external_id")


def rep_ref(name: str):
    return ref(name, SalesRep, "external_id")


def fields(*names: str, month: bool = False) -> tuple:
    return tuple(field(name, month=month) for name in names)


REP = EntitySpec(
    "reps", SalesRep, key=EXTERNAL_ID, values=(field("name"), field("email"), field("hired_on"), field("left_on"))
)
CUSTOMER = EntitySpec(
    "customers",
    Customer,
    key=EXTERNAL_ID,
    values=(field("name"), TERRITORY, rep_ref("owner"), field("sector"), field("churned_on")),
    copy=True,
)
DEAL = EntitySpec(
    "deals",
    Deal,
    key=EXTERNAL_ID,
    values=(
        field("name"),
        CUSTOMER_REF,
        rep_ref("owner"),
        TERRITORY,
        *fields("stage", "lost_from_stage", "amount", "refunded_amount"),
        *fields("created_on", "closed_on", "ends_on", month=True),
        field("product"),
    ),
    copy=True,
)
ACTIVITY = EntitySpec(
    "activities",
    Activity,
    key=EXTERNAL_ID,
    values=(rep_ref("rep"), TERRITORY, field("kind"), field("occurred_on", month=True), DEAL_REF, CUSTOMER_REF),
    copy=True,
)
SURVEY = EntitySpec(
    "survey responses",
    SurveyResponse,
    key=EXTERNAL_ID,
    values=(
        CUSTOMER_REF,
        rep_ref("rep"),
        TERRITORY,
        *fields("kind", "score"),
        *fields("responded_on", month=True),
        field("comment"),
    ),
    copy=True,
)
EXPENSE = EntitySpec(
    "expenses",
    Expense,
    key=(TERRITORY, field("month", month=True), field("category")),
    values=(field("amount"),),
    preload=True,
)
PRODUCT = EntitySpec(
    "products", Product, key=(field("name"),), values=(field("series"), field("list_price")), preload=True
)

# The Maven export says who and what, not contact details or churn: only these fields are its to set.
MAVEN_REP = replace(REP, values=REP.values[:1])
MAVEN_CUSTOMER = replace(CUSTOMER, values=CUSTOMER.values[:4])
