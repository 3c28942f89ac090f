from django.contrib import admin
from django.urls import include, path

from clusterwise.api.api import api

urlpatterns = [
    path("", include("clusterwise.core.urls")),
    path("org/", include("clusterwise.org.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
