"""Company overview and territory dashboards, their leaderboards and CSV exports."""

from django.urls import path

from territories import views

urlpatterns = [
    path("company/", views.company_dashboard, name="company_dashboard"),
    path("company/cards.csv", views.company_cards_csv, name="company_cards_csv"),
    path("company/leaderboard/", views.company_leaderboard, name="company_leaderboard"),
    path("company/leaderboard.csv", views.company_leaderboard_csv, name="company_leaderboard_csv"),
    path("territories/", views.territory_picker, name="territory_picker"),
    path("territories/<slug:code>/", views.territory_dashboard, name="territory_dashboard"),
    path("territories/<slug:code>/cards.csv", views.territory_cards_csv, name="territory_cards_csv"),
    path("territories/<slug:code>/leaderboard/", views.territory_leaderboard, name="territory_leaderboard"),
    path("territories/<slug:code>/leaderboard.csv", views.territory_leaderboard_csv, name="territory_leaderboard_csv"),
]
