"""Dashboard pages on the hand-counted company of conftest.py (2025-Q4, as of 2025-12-31).

Every number below is worked out from the deals listed in the conftest docstring.
"""

from __future__ import annotations

import csv
import io

import plotly.graph_objects as go
import pytest

from dashboards.views import drilldowns
from tests.dashboards.html import card, figures, table_rows, text, texts
from tests.helpers.worlds import login

Q4 = "?period=2025-Q4"


@pytest.fixture
def as_manager(shared_world, db, client):
    return login(client, shared_world["manager_a"])


@pytest.fixture
def as_admin(shared_world, db, client):
    return login(client, shared_world["admin"])


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def csv_of(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


# --- territory dashboard -------------------------------------------------------------------------------


def test_territory_cards_show_value_target_attainment_and_changes(as_manager):
    html = page(as_manager, "/territories/na-east/" + Q4)
    assert card(html, "revenue") == (
        "Revenue USD 6,500.00 n = 3 Target USD 10,000.00 · 65.0% +550.0% vs 2025-Q3 no data vs 2024-Q4 "
        "List the deals behind Revenue"
    )
    # A rate changes in percentage points: 75% now, 100% (1 of 1) in Q3.
    assert card(html, "win_rate") == (
        "Win rate 75.0% n = 4 · 95% interval 30.1% – 95.4% -25.0 pp vs 2025-Q3 no data vs 2024-Q4"
    )
    assert card(html, "lead_conversion_rate").startswith("Lead conversion rate provisional 60.0% n = 5")
    assert card(html, "sales_cycle_days") == (
        "Sales cycle (median days) 9 days n = 3 75th percentile 11.5 days · 90th 13 days -71.0% vs 2025-Q3 "
        "no data vs 2024-Q4"
    )
    assert card(html, "csat") == "CSAT no data n = 0 no data vs 2025-Q3 no data vs 2024-Q4"
    assert card(html, "new_customers") == (
        "New customers 1 +0.0% vs 2025-Q3 no data vs 2024-Q4 List the customers behind New customers"
    )


def test_cards_are_grouped_leading_then_lagging_in_registry_order(as_manager):
    html = page(as_manager, "/territories/na-east/" + Q4)
    assert text(html, "h2", "id", "group-leading").startswith("Leading indicators")
    assert html.index('id="group-leading"') < html.index('id="group-lagging"')
    order = _card_keys(html)
    assert order[:7] == ["deals_created", "pipeline_value", "pipeline_coverage", "calls", "meetings", "emails",
                         "follow_up_rate"]  # fmt: skip
    assert order[7:10] == ["revenue", "deals_won", "avg_deal_size"]
    assert len(order) == 28  # every registry KPI of a territory


def _card_keys(html: str) -> list[str]:
    import re

    return re.findall(r'<article class="kpi[^"]*" data-kpi="([\w_]+)"', html)


def test_rep_scorecard_shows_only_the_kpis_defined_for_reps(shared_world, db, client):
    html = page(login(client, shared_world["rep_a"]), "/me/" + Q4)
    keys = _card_keys(html)
    assert len(keys) == 24
    assert not {"cac", "clv_cac_ratio", "reps_at_quota", "rep_turnover_rate"} & set(keys)


def test_leaderboard_ranks_by_attainment_and_states_reps_at_quota(as_manager):
    html = page(as_manager, "/territories/na/" + Q4)
    assert table_rows(html, "leaderboard") == [
        ["1", "Ana Alpha", "NA East", "USD 2,500.00", "USD 2,000.00", "125.0%", "2", "66.7%"],
        ["2", "Ben Beta", "NA East", "USD 4,000.00", "USD 8,000.00", "50.0%", "1", "100.0%"],
    ]
    assert text(html, "p", "class", "quota-share") == (
        "Reps at quota: 50.0% of the 2 reps with a revenue target reached it."
    )


def test_company_leaderboard_lists_reps_without_target_unranked(as_admin):
    html = page(as_admin, "/company/" + Q4)
    rows = table_rows(html, "leaderboard")
    assert [r[:2] for r in rows] == [["1", "Ana Alpha"], ["2", "Ben Beta"], ["— no revenue target", "Cara Gamma"]]
    assert rows[2][3:6] == ["USD 800.00", "no target", "no target"]


def test_full_leaderboard_sorts_by_any_column(as_manager):
    html = page(as_manager, "/territories/na/leaderboard/?period=2025-Q4&sort=-revenue")
    assert [r[1] for r in table_rows(html, "leaderboard")] == ["Ben Beta", "Ana Alpha"]
    html = page(as_manager, "/territories/na/leaderboard/?period=2025-Q4&sort=name")
    assert [r[1] for r in table_rows(html, "leaderboard")] == ["Ana Alpha", "Ben Beta"]
    response = as_manager.get("/territories/na/leaderboard/?period=2025-Q4&sort=salary")
    assert response.status_code == 400
    assert "The sort parameter is wrong: 'salary' is not a column" in " ".join(
        text(response.content.decode(), "p", "class", "error").split()
    )


def test_charts_are_valid_plotly_figures_with_their_numbers(as_manager):
    html = page(as_manager, "/territories/na-east/" + Q4)
    found = figures(html)
    # No survey or activity in the data, and no territory below na-east: those three explain instead of drawing.
    assert set(found) == {"figure-revenue-target", "figure-win-rate", "figure-funnel", "figure-churn-retention",
                          "figure-sales-cycle"}  # fmt: skip
    for figure in found.values():
        go.Figure(figure)  # raises on any attribute Plotly does not know
    funnel = found["figure-funnel"]["data"][0]
    assert (funnel["y"], funnel["x"]) == (["Lead", "Qualified", "Proposal", "Negotiation", "Won"], [5, 5, 5, 4, 3])
    revenue = found["figure-revenue-target"]["data"]
    # 2025 from the first month with facts (July): 1,000 in August, then 1,000 / 1,500 / 4,000 in Q4.
    assert revenue[0]["x"] == ["Jul 2025", "Aug 2025", "Sep 2025", "Oct 2025", "Nov 2025", "Dec 2025"]
    assert revenue[0]["y"] == [0, 1000, 0, 1000, 1500, 4000]
    assert revenue[1]["y"][-3:] == [3000, 3000, 4000]  # targets
    assert revenue[3]["y"][-1] == 10000  # cumulative target: the pace line


def test_every_chart_has_a_title_a_summary_and_a_data_table(as_manager):
    html = page(as_manager, "/territories/na/" + Q4)
    charts = texts(html, "figure", "class", "chart")
    assert len(charts) == 8
    table = text(html, "figure", "id", "chart-subterritories")
    assert "Sub-territories of North America: revenue vs target, 2025-Q4" in table
    assert "NA East 6,500.00 10,000.00 65.0%" in table
    assert "NA West 0.00 no target" in table


def test_subterritories_of_a_leaf_say_there_are_none(as_manager):
    html = page(as_manager, "/territories/na-east/" + Q4)
    assert "NA East has no territories below it." in text(html, "figure", "id", "chart-subterritories")


def test_period_picker_defaults_to_the_quarter_of_the_as_of_date(as_manager):
    html = page(as_manager, "/territories/na/")
    assert text(html, "h1", "") == "North America 2025-Q4"
    picker = text(html, "nav", "class", "period-moves")
    assert picker == "← 2025-Q3 Month Quarter Year"  # no next quarter is stored
    assert 'href="?period=2025-12"' in html and 'href="?period=2025"' in html
    assert '<option value="2025-Q4" selected>' in html


def test_scope_picker_offers_only_what_the_user_may_see(shared_world, db, client):
    html = page(login(client, shared_world["manager_b"]), "/territories/emea/")
    options = texts(html, "select", "id", "scope-select")[0]
    assert options == "EMEA United Kingdom"
    html = page(login(client, shared_world["admin"]), "/company/")
    assert texts(html, "select", "id", "scope-select")[0] == (
        "Company EMEA United Kingdom North America NA East NA West"
    )


def test_scope_picker_opens_the_chosen_scope(as_manager):
    response = as_manager.get("/territories/?scope=territory:na-east&period=2025-Q3")
    assert (response.status_code, response["Location"]) == (302, "/territories/na-east/?period=2025-Q3")
    assert as_manager.get("/territories/?scope=territory:uk").status_code == 404
    assert as_manager.get("/territories/?scope=company").status_code == 404


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2025-13", "month 13 does not exist in period '2025-13'"),
        ("soon", "period 'soon' is not one of YYYY-MM, YYYY-Qn (n = 1..4), YYYY or YYYY-MM-DD..YYYY-MM-DD"),
        ("2025-01-01..2025-02-01", "'2025-01-01..2025-02-01' is a date range; dashboards show a month"),
    ],
)
def test_a_bad_period_gets_a_400_naming_it(as_manager, period, message):
    response = as_manager.get("/territories/na/", {"period": period})
    assert response.status_code == 400
    assert message in text(response.content.decode(), "p", "class", "error")


def test_an_uncomputed_period_explains_the_range_stored(as_manager):
    html = page(as_manager, "/territories/na/?period=2030-Q1")
    assert text(html, "section", "class", "empty-state") == (
        "No KPIs stored for 2030-Q1 Snapshots cover 2025-07 to 2025-12. Choose a period in that range, or ask an "
        "administrator to run python manage.py recompute_kpis if 2030-Q1 should have data."
    )


def test_territory_with_no_deals_says_so(as_manager):
    html = page(as_manager, "/territories/na-west/" + Q4)
    assert text(html, "section", "id", "no-deals").startswith("No deals in NA West for 2025-Q4")
    assert "No deals in" not in page(as_manager, "/territories/na-east/" + Q4)


def test_freshness_line_on_every_page(as_manager):
    for url in ("/territories/na/", "/territories/na/leaderboard/", "/territories/na/drill/revenue/", "/territories/"):
        html = page(as_manager, url)
        assert text(html, "div", "class", "freshness").startswith("Data as of 2025-12-31, computed ")


# --- rep scorecard ------------------------------------------------------------------------------------------


def test_rep_sees_their_rank_but_no_one_elses_name_or_numbers(shared_world, db, client):
    html = page(login(client, shared_world["rep_a"]), "/me/" + Q4)
    assert text(html, "section", "class", "rank") == (
        "Standing in NA East #1 of 2 ranked reps, by revenue attainment in 2025-Q4. Ranks compare attainment "
        "only; other reps' names and amounts are not shown here."
    )
    assert card(html, "revenue").startswith("Revenue USD 2,500.00 n = 2 Target USD 2,000.00 · 125.0%")
    for other in ("Ben Beta", "r-a2", "Cara", "4,000", "NA West", "Leaderboard"):
        assert other not in html
    assert 'href="/territories/' not in html  # no link a rep could not open


def test_rep_scorecard_links_drill_downs_to_their_own_deals(shared_world, db, client):
    rep_client = login(client, shared_world["rep_a"])
    html = page(rep_client, "/me/" + Q4)
    url = f"/reps/{shared_world['ana'].pk}/drill/revenue/?period=2025-Q4"
    assert f'href="{url}"' in html
    assert [r[0] for r in table_rows(page(rep_client, url), "drill")] == ["d-2", "d-1"]


def test_rep_without_target_is_told_and_not_ranked(shared_world, db, client):
    html = page(login(client, shared_world["rep_b"]), "/me/" + Q4)
    assert text(html, "section", "id", "no-target").startswith("No revenue target for 2025-Q4 You have no revenue")
    assert "Not ranked in 2025-Q4: no revenue target. Ranked reps in United Kingdom: 0 of 1." in text(
        html, "section", "class", "rank"
    )


def test_manager_opens_a_reps_scorecard_from_the_leaderboard(shared_world, db, client):
    manager = login(client, shared_world["manager_a"])
    ben = shared_world["ben"]
    assert f'href="/reps/{ben.pk}/?period=2025-Q4"' in page(manager, "/territories/na/" + Q4)
    html = page(manager, f"/reps/{ben.pk}/" + Q4)
    assert "Rep scorecard" in html and card(html, "revenue").startswith("Revenue USD 4,000.00")


# --- drill-down ---------------------------------------------------------------------------------------------


def test_drill_down_lists_the_deals_behind_revenue(as_manager):
    html = page(as_manager, "/territories/na-east/drill/revenue/" + Q4)
    assert table_rows(html, "drill") == [
        ["d-4", "Fresh Co", "Ben Beta", "NA East", "Won", "2025-12-01", "2025-12-05", "4,000.00", "0.00", "4,000.00"],
        ["d-2", "Old Client", "Ana Alpha", "NA East", "Won", "2025-11-01", "2025-11-15", "2,000.00", "500.00",
         "1,500.00"],
        ["d-1", "Old Client", "Ana Alpha", "NA East", "Won", "2025-10-01", "2025-10-10", "1,000.00", "0.00",
         "1,000.00"],
    ]  # fmt: skip
    assert "Revenue for 2025-Q4: USD 6,500.00 · 3 rows listed." in " ".join(text(html, "p", "class", "sub").split())


def test_drill_down_sorts_and_paginates(as_manager, monkeypatch):
    html = page(as_manager, "/territories/na-east/drill/revenue/?period=2025-Q4&sort=net")
    assert [r[0] for r in table_rows(html, "drill")] == ["d-1", "d-2", "d-4"]
    monkeypatch.setattr(drilldowns, "PAGE_SIZE", 2)
    html = page(as_manager, "/territories/na-east/drill/revenue/?period=2025-Q4&sort=net&page=2")
    assert [r[0] for r in table_rows(html, "drill")] == ["d-4"]
    assert "Page 2 of 2" in html
    response = as_manager.get("/territories/na-east/drill/revenue/?sort=password")
    assert response.status_code == 400


def test_drill_down_of_pipeline_and_new_customers(as_manager, as_admin):
    html = page(as_manager, "/territories/na/drill/pipeline_value/" + Q4)
    assert [r[0] for r in table_rows(html, "drill")] == ["d-5"]
    html = page(as_admin, "/company/drill/new_customers/" + Q4)
    assert table_rows(html, "drill") == [
        ["Fresh Co", "c-new", "retail", "2025-12-05", "d-4", "Ben Beta", "NA East", "4,000.00"],
        ['=HYPERLINK("http://x")', "c-eq", "retail", "2025-10-20", "d-6", "Cara Gamma", "United Kingdom", "800.00"],
    ]


def test_drill_down_of_an_unknown_kpi_is_404(as_admin):
    assert as_admin.get("/company/drill/win_rate/").status_code == 404


# --- CSV exports --------------------------------------------------------------------------------------------


def test_drill_down_csv_escapes_formulas(as_admin):
    rows = csv_of(as_admin.get("/company/drill/new_customers.csv" + Q4))
    assert rows == [
        ["Customer", "Customer id", "Sector", "Acquired on", "First deal", "Acquired by", "Territory",
         "First deal net amount"],
        ["Fresh Co", "c-new", "retail", "2025-12-05", "d-4", "Ben Beta", "NA East", "4000.00"],
        ["'=HYPERLINK(\"http://x\")", "c-eq", "retail", "2025-10-20", "d-6", "Cara Gamma", "United Kingdom",
         "800.00"],
    ]  # fmt: skip


def test_leaderboard_csv(as_manager):
    response = as_manager.get("/territories/na/leaderboard.csv" + Q4)
    assert response["Content-Disposition"] == 'attachment; filename="leaderboard-territory-na-2025-Q4.csv"'
    assert csv_of(response) == [
        ["rank", "rep_external_id", "rep_name", "territory_code", "territory_name", "period", "revenue", "target",
         "attainment", "deals_won", "win_rate", "win_rate_n", "win_rate_low_sample", "not_ranked_because"],
        ["1", "r-a", "Ana Alpha", "na-east", "NA East", "2025-Q4", "2500.0", "2000.0", "1.25", "2.0",
         "0.6666666666666666", "3.0", "no", ""],
        ["2", "r-a2", "Ben Beta", "na-east", "NA East", "2025-Q4", "4000.0", "8000.0", "0.5", "1.0", "1.0", "1.0",
         "no", ""],
    ]  # fmt: skip


def test_cards_csv(as_manager):
    rows = csv_of(as_manager.get("/territories/na-east/cards.csv" + Q4))
    header, by_kpi = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:6] == ["kpi", "label", "kind", "unit", "period", "value"]
    assert len(by_kpi) == 28
    assert {k: by_kpi["revenue"][k] for k in ("value", "target", "attainment", "n", "previous", "change_previous",
                                              "change_unit", "last_year", "pace", "low_sample")} == {
        "value": "6500.0", "target": "10000.0", "attainment": "0.65", "n": "3.0", "previous": "1000.0",
        "change_previous": "5.5", "change_unit": "%", "last_year": "", "pace": "", "low_sample": "no",
    }  # fmt: skip
    assert by_kpi["win_rate"]["change_previous"] == "-0.25" and by_kpi["win_rate"]["change_unit"] == "pp"


def test_rep_cards_csv(shared_world, db, client):
    ana = shared_world["ana"]
    rows = csv_of(login(client, shared_world["rep_a"]).get(f"/reps/{ana.pk}/cards.csv" + Q4))
    revenue = next(r for r in rows if r[0] == "revenue")
    assert revenue[5:8] == ["2500.0", "2000.0", "1.25"]
