"""Rep scorecards: /me/ for the signed-in rep, /reps/<id>/ for managers and admins."""

from django.urls import path

from reps import views

urlpatterns = [
    path("me/", views.my_scorecard, name="my_scorecard"),
    path("reps/<int:pk>/", views.rep_dashboard, name="rep_dashboard"),
    path("reps/<int:pk>/cards.csv", views.rep_cards_csv, name="rep_cards_csv"),
]
