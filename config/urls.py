from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django_otp.admin import OTPAdminSite

from clusterwise.api.api import api

if settings.ADMIN_REQUIRES_OTP:
    admin.site.__class__ = OTPAdminSite
    admin.site.login_form = OTPAdminSite.login_form
    admin.site.login_template = OTPAdminSite.login_template

urlpatterns = [
    path("", include("clusterwise.core.urls")),
    path("org/", include("clusterwise.org.urls")),
    path("programme/", include("clusterwise.programme.urls")),
    path("skills/", include("clusterwise.skills.urls")),
    path("observation/", include("clusterwise.observation.urls")),
    path("learning/", include("clusterwise.learning.urls")),
    path("networks/", include("clusterwise.networks.urls")),
    path("reports/", include("clusterwise.reports.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
