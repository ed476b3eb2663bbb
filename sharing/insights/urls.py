from django.urls import path

from sharing.insights import views

urlpatterns = [
    path("", views.member_figures, name="insights-member"),
    path("isac/", views.isac_figures, name="insights-isac"),
    path("isac/members.csv", views.isac_members_csv, name="insights-members-csv"),
]
