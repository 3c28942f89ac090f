"""The offline pieces: the observation form, the outbox, and the PWA shell."""

from django.urls import path

from . import views_observe

urlpatterns = [
    path("observe/", views_observe.observe, name="observe"),
    path("outbox/", views_observe.outbox, name="outbox"),
    path("manifest.webmanifest", views_observe.manifest, name="manifest"),
    # At /observation/ so that its scope is every observation page.
    path("sw.js", views_observe.worker, name="worker"),
]
