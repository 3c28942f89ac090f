"""Each part of the app keeps its own routes beside its views."""

from __future__ import annotations

from .views import formation, meetings, networks, notifications, plans, practices, reviews

app_name = "networks"

urlpatterns = [
    *networks.urlpatterns,
    *formation.urlpatterns,
    *meetings.urlpatterns,
    *plans.urlpatterns,
    *practices.urlpatterns,
    *reviews.urlpatterns,
    *notifications.urlpatterns,
]
