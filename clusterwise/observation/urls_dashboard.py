from django.urls import path

from . import views_dashboard

urlpatterns = [
    path("", views_dashboard.dashboard_page, name="dashboard"),
    path("export.xlsx", views_dashboard.dashboard_xlsx, name="dashboard_xlsx"),
    path("chart/<slug:name>.svg", views_dashboard.dashboard_chart, name="dashboard_chart"),
]
