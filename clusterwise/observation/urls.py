from django.urls import include, path

app_name = "observation"

urlpatterns = [
    # The offline pieces (observation form, outbox, service worker): views_observe.py.
    path("", include("clusterwise.observation.urls_observe")),
    # Coverage, scores and time-on-task dashboards and their Excel export: views_dashboard.py.
    path("dashboard/", include("clusterwise.observation.urls_dashboard")),
]
