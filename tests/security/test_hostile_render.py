"""Names that are attacks, stored and shown everywhere: always escaped, never run, never a formula.

A territory, a rep, a customer and a deal are named (all on one line)

    =HYPERLINK("http://evil.example","<who>")<script>alert("<who>")</script>
    "><img src=x onerror=alert("<who>")>{{ 7*7 }}

and every place that shows them is opened: the dashboards (cards, leaderboards, the charts' data tables and
the Plotly figures embedded as JSON), the scorecard, the drill-downs, the pickers, the admin's change lists,
change forms, filters, quota grid and target entry, the API's JSON, the CSV exports. HTML shows the name
with Django's escaping (the raw ``<script>`` or ``<img`` never appears and ``{{ 7*7 }}`` stays text); the
embedded JSON writes ``<``, ``>`` and ``&`` as ``\\u003C``, ``\\u003E``, ``\\u0026``; the API sends the
name as data with ``nosniff``; a CSV cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is written with a leading ``'`` (dashboards/csv_export.py), so a spreadsheet shows text.
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from metrics.models import Target
from sales.models import Customer, Deal
from tests.dashboards.html import figures
from tests.helpers.worlds import world_held

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("as_of")]


def hostile_name(who: str) -> str:
    return (
        f'=HYPERLINK("http://evil.example","{who}")<script>alert("{who}")</script>'
        f'"><img src=x onerror=alert("{who}")>{{{{ 7*7 }}}}'
    )


TERRITORY, REP, CUSTOMER, DEAL = (hostile_name(who) for who in ("territory", "rep", "customer", "deal"))
RAW = ("<script>alert(", "<img src=x")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@pytest.fixture(scope="module")
def company(django_db_setup, django_db_blocker):
    """The dashboards' company with na-east, Ana, Fresh Co (Ben's new customer) and deal d-4 renamed."""
    with world_held(django_db_blocker, change=_rename) as built:
        yield built


def _rename(built) -> None:
    east, ana = built["tree"]["na-east"], built["ana"]
    east.name = TERRITORY
    east.save(update_fields=["name"])
    ana.name = REP
    ana.save(update_fields=["name"])
    Customer.objects.filter(external_id="c-new").update(name=CUSTOMER)
    Deal.objects.filter(external_id="d-4").update(name=DEAL)


@pytest.fixture
def admin_browser(company) -> Client:
    client = Client()
    client.force_login(company["admin"])
    return client


def page(client: Client, url: str, *names: str) -> str:
    """The page's HTML: 200, each of ``names`` shown escaped, no payload raw."""
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    for payload in RAW:
        assert payload not in html, url
    for name in names:
        assert escape(name) in html, (url, name[-40:])
    assert "{{ 7*7 }}" in html or not names  # text, not a template
    return html


def embedded(name: str) -> str:
    """``name`` as the page's JSON scripts write it (Django's json_script)."""
    return json.dumps(name)[1:-1].translate(JSON_SCRIPT_ESCAPES)


DASHBOARD_PAGES = {
    # url name, kwargs → the names it shows
    ("dashboard", ("company",)): (REP, TERRITORY),  # the leaderboard: Ana of na-east
    ("dashboard", ("territories/na",)): (TERRITORY, REP),  # na-east among the sub-territories; the leaderboard
    ("dashboard", ("territories/na-east",)): (TERRITORY, REP),  # its own name in the title
    ("territory_picker", ()): (TERRITORY,),
    ("leaderboard", ("company",)): (REP, TERRITORY),
    ("leaderboard", ("territories/na",)): (REP, TERRITORY),
    ("drill", ("territories/na", "revenue")): (REP, TERRITORY, CUSTOMER),  # d-4: Fresh Co's, Ben's, in na-east
    ("drill", ("territories/na", "new_customers")): (TERRITORY, CUSTOMER),
    ("drill", ("company", "deals_won")): (REP, TERRITORY, CUSTOMER),
}


@pytest.mark.parametrize(("view", "args"), list(DASHBOARD_PAGES))
def test_dashboards_leaderboards_and_drill_downs_show_names_escaped(admin_browser, view, args):
    page(admin_browser, reverse(view, args=args) + "?period=2025-Q4", *DASHBOARD_PAGES[view, args])


def test_the_scorecard_shows_the_rep_name_escaped_to_managers_and_to_the_rep(company):
    for user in (company["admin"], company["manager_a"], company["rep_a"]):
        client = Client()
        client.force_login(user)
        page(client, reverse("scorecard", args=[company["ana"].pk]), REP)
    client.force_login(company["rep_a"])
    page(client, reverse("my_scorecard"), REP)


def test_charts_embed_names_as_escaped_json_and_list_them_escaped_in_their_data_table(admin_browser):
    html = page(admin_browser, "/territories/na/?period=2025-Q4", TERRITORY)
    script = html.split('<script id="figure-subterritories" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert embedded(TERRITORY) in script
    assert "<" not in script and ">" not in script  # nothing in the JSON can close the script element
    figure = figures(html)["figure-subterritories"]
    assert [trace["x"] for trace in figure["data"]] == [[TERRITORY, "NA West"], [TERRITORY, "NA West"]]
    table = html.split('id="chart-subterritories"', 1)[1].split("</figure>", 1)[0]
    assert f'<th scope="row">{escape(TERRITORY)}</th>' in table


def test_a_territory_without_sub_territories_says_so_with_its_name_escaped(admin_browser):
    html = page(admin_browser, "/territories/na-east/?period=2025-Q4", TERRITORY)
    assert f'<p class="empty">{escape(TERRITORY)} has no territories below it.</p>' in html


def _csv(client: Client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    ("url", "column", "expected"),
    [
        ("/company/leaderboard.csv?period=2025-Q4", "rep_name", REP),
        ("/company/leaderboard.csv?period=2025-Q4", "territory_name", TERRITORY),
        ("/territories/na/drill/revenue.csv?period=2025-Q4", "Owner", REP),
        ("/territories/na/drill/revenue.csv?period=2025-Q4", "Territory", TERRITORY),
        ("/territories/na/drill/revenue.csv?period=2025-Q4", "Customer", CUSTOMER),
        ("/territories/na/drill/new_customers.csv?period=2025-Q4", "Customer", CUSTOMER),
        ("/territories/na/drill/new_customers.csv?period=2025-Q4", "Territory", TERRITORY),
    ],
)
def test_csv_exports_write_formula_looking_names_as_text(admin_browser, url, column, expected):
    rows = _csv(admin_browser, url)
    header, body = rows[0], rows[1:]
    cells = [row[header.index(column)] for row in body]
    assert "'" + expected in cells  # the rule of csv_export.csv_cell: a leading apostrophe, the text unchanged
    assert expected not in cells
    for row in body:  # no cell of the file can start a formula; numbers keep their sign
        for cell in row:
            if cell.startswith(FORMULA_STARTS):
                float(cell)


def test_the_api_sends_names_as_exact_json_data_that_a_browser_will_not_sniff_as_html(company, admin_browser):
    territories = admin_browser.get("/api/v1/territories")
    north_america = next(node for node in territories.json() if node["code"] == "na")
    assert [child["name"] for child in north_america["children"]] == [TERRITORY, "NA West"]
    reps = admin_browser.get("/api/v1/reps", {"search": "HYPERLINK"}).json()["results"]
    assert [rep["name"] for rep in reps] == [REP]
    deal = admin_browser.get("/api/v1/deals/d-4").json()
    assert (deal["name"], deal["customer"]) == (DEAL, "c-new")
    for response in (territories, admin_browser.get("/api/v1/reps"), admin_browser.get("/api/v1/deals/d-4")):
        assert response["Content-Type"] == "application/json"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_admin_change_lists_show_names_escaped(company, admin_browser):
    # The tree lists the top level and fetches a node's children as JSON holding the rows' HTML.
    children = admin_browser.get(f"/admin/territories/territory/children/{company['tree']['na'].pk}/")
    assert children["Content-Type"] == "application/json"
    rows = children.json()["result_html"]
    assert escape(TERRITORY) in rows
    assert not any(payload in rows for payload in RAW)
    pages = {
        "/admin/territories/territory/?q=HYPERLINK": (TERRITORY,),  # searched: the flat list, indented by depth
        "/admin/territories/territoryassignment/": (REP, TERRITORY),
        "/admin/reps/salesrep/": (REP,),
        "/admin/sales/customer/": (CUSTOMER, TERRITORY, REP),
        "/admin/sales/deal/": (DEAL, CUSTOMER, REP, TERRITORY),
        "/admin/metrics/target/?scope=rep": (REP,),
    }
    for url, names in pages.items():
        page(admin_browser, url, *names)


def test_admin_filters_and_autocomplete_show_names_escaped(company, admin_browser):
    # The subtree filter lists the territories by name; the current-territory filter of the reps too.
    page(admin_browser, "/admin/sales/deal/", TERRITORY)
    page(admin_browser, "/admin/reps/salesrep/?territory=na-east", TERRITORY, REP)
    found = admin_browser.get(
        "/admin/autocomplete/",
        {"term": "HYPERLINK", "app_label": "territories", "model_name": "territoryassignment", "field_name": "rep"},
    )
    assert found.json()["results"] == [{"id": str(company["ana"].pk), "text": f"{REP} (r-a)"}]
    assert found["Content-Type"] == "application/json"


def test_admin_change_forms_show_names_escaped(company, admin_browser):
    east, ana = company["tree"]["na-east"], company["ana"]
    assignment = ana.assignments.get()
    deal = Deal.objects.get(external_id="d-4")
    target = Target.objects.filter(rep=ana).order_by("month").first()
    pages = {
        reverse("admin:territories_territory_change", args=[east.pk]): (TERRITORY,),
        reverse("admin:territories_territory_delete", args=[east.pk]): (TERRITORY,),
        reverse("admin:territories_territory_history", args=[east.pk]): (TERRITORY,),
        reverse("admin:reps_salesrep_change", args=[ana.pk]): (REP, TERRITORY),  # the assignments inline
        reverse("admin:territories_territoryassignment_change", args=[assignment.pk]): (REP, TERRITORY),
        reverse("admin:sales_customer_change", args=[deal.customer_id]): (CUSTOMER, TERRITORY),
        reverse("admin:sales_deal_change", args=[deal.pk]): (DEAL, CUSTOMER, TERRITORY),
        reverse("admin:metrics_target_change", args=[target.pk]): (REP,),
    }
    for url, names in pages.items():
        page(admin_browser, url, *names)
    # In the inputs' values, and in the autocomplete's selected option.
    inputs = {
        reverse("admin:territories_territory_change", args=[east.pk]): f'name="name" value="{escape(TERRITORY)}"',
        reverse("admin:reps_salesrep_change", args=[ana.pk]): f'name="name" value="{escape(REP)}"',
        reverse("admin:sales_customer_change", args=[deal.customer_id]): f'name="name" value="{escape(CUSTOMER)}"',
        reverse("admin:sales_deal_change", args=[deal.pk]): f'name="name" value="{escape(DEAL)}"',
        reverse("admin:territories_territoryassignment_change", args=[assignment.pk]): (
            f'<option value="{ana.pk}" selected>{escape(REP)} (r-a)</option>'
        ),
    }
    for url, shown in inputs.items():
        assert shown in admin_browser.get(url).content.decode(), url


def test_target_entry_and_the_quota_grid_show_names_escaped(company, admin_browser):
    # The entry form's scope choices name every territory and rep; the grid labels each cell with the rep.
    page(admin_browser, reverse("admin:metrics_target_add"), TERRITORY, REP)
    html = page(admin_browser, reverse("admin:metrics_target_grid") + "?year=2025&kpi=revenue", REP, TERRITORY)
    assert f'aria-label="{escape(REP)} (r-a), January 2025"' in html
    preview = admin_browser.post(
        reverse("admin:metrics_target_add"),
        {"scope": "rep:r-a", "kpi": "revenue", "period": "2026-01", "value": "10", "_preview": "1"},
    )
    assert preview.status_code == 200
    for payload in RAW:
        assert payload not in preview.content.decode()


def test_the_admins_saved_message_and_the_audit_log_show_the_name_escaped(company, admin_browser):
    east = company["tree"]["na-east"]
    saved = admin_browser.post(
        reverse("admin:territories_territory_change", args=[east.pk]),
        {"code": "na-east", "name": TERRITORY, "treebeard_position": "sorted-child",
         "treebeard_ref_node": company["tree"]["na"].pk, "managers": []},
        follow=True,
    )  # fmt: skip
    assert saved.redirect_chain == [("/admin/territories/territory/", 302)]
    html = saved.content.decode()
    link = f'<a href="/admin/territories/territory/{east.pk}/change/">{escape(str(east))}</a>'
    assert f"The territory “{link}” was changed successfully." in html
    assert not any(payload in html for payload in RAW)
    page(admin_browser, "/admin/accounts/auditevent/", TERRITORY)  # "territory <name> (na-east) changed"
