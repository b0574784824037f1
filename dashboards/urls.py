"""Every page: the landing redirect, dashboards, leaderboards, scorecards, drill-downs and their CSV exports.

``<scope:scope>`` is the company, a territory or a rep; ``<area:scope>`` the
company or a territory (dashboards.converters).
"""

from django.urls import path, register_converter

from dashboards.converters import AreaConverter, ScopeConverter
from dashboards.views import drilldowns, home, leaderboards, scorecards, territory

register_converter(ScopeConverter, "scope")
register_converter(AreaConverter, "area")

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("territories/", territory.territory_picker, name="territory_picker"),
    path("me/", scorecards.my_scorecard, name="my_scorecard"),
    path("reps/<int:pk>/", scorecards.scorecard, name="scorecard"),
    path("<area:scope>/", territory.dashboard, name="dashboard"),
    path("<scope:scope>/cards.csv", territory.cards_csv, name="cards_csv"),
    path("<area:scope>/leaderboard/", leaderboards.leaderboard, name="leaderboard"),
    path("<area:scope>/leaderboard.csv", leaderboards.leaderboard_csv, name="leaderboard_csv"),
    path("<scope:scope>/drill/<slug:kpi>/", drilldowns.drill, name="drill"),
    path("<scope:scope>/drill/<slug:kpi>.csv", drilldowns.drill_csv, name="drill_csv"),
]
