from django.urls import path

app_name = "reports"
urlpatterns: list[path] = []  # type: ignore[valid-type]
