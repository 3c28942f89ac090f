from django.urls import path

from . import views

app_name = "learning"

urlpatterns = [
    path("", views.index, name="index"),
    path("rounds/new/", views.round_define, name="define"),
    path("rounds/<slug:key>/", views.round_detail, name="round"),
    path("rounds/<slug:key>/import/", views.import_upload, name="import"),
    path(
        "rounds/<slug:key>/imports/<uuid:pk>/problems.csv", views.import_problems, name="problems"
    ),
    path(
        "rounds/<slug:key>/imports/<uuid:pk>/set-aside.csv",
        views.import_quarantine,
        name="quarantine",
    ),
    path("rounds/<slug:key>/gaps/", views.gaps, name="gaps_home"),
    path("rounds/<slug:key>/gaps/<uuid:unit>/", views.gaps, name="gaps"),
    path("rounds/<slug:key>/gaps/<uuid:unit>/chart.svg", views.gaps_chart, name="gaps_chart"),
    path("rounds/<slug:key>/gaps/<uuid:unit>/gaps.xlsx", views.gaps_xlsx, name="gaps_xlsx"),
    path("rounds/<slug:key>/gaps/<uuid:unit>/map.geojson", views.gaps_map, name="gaps_map"),
    path("rounds/<slug:key>/schools/<uuid:school>/classes/", views.classes, name="classes"),
    path(
        "rounds/<slug:key>/districts/<uuid:district>/ranking/", views.block_ranking, name="ranking"
    ),
    path("imports/<uuid:pk>/", views.import_job, name="import_job"),
]
