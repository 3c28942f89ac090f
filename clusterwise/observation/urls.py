from django.urls import include, path

app_name = "observation"

urlpatterns = [
    # The offline pieces (observation form, outbox, service worker): views_observe.py.
    path("", include("clusterwise.observation.urls_observe")),
    # Coverage, scores and time-on-task dashboards and their Excel export: views_dashboard.py.
    path("dashboard/", include("clusterwise.observation.urls_dashboard")),
]

from . import views  # noqa: E402

urlpatterns += [
    path("plan/", views.plan, name="plan"),
    path("plan/<uuid:pk>/cancel/", views.plan_cancel, name="plan_cancel"),
    path("caseload/", views.caseload, name="caseload"),
    path("records/", views.observation_list, name="list"),
    path("records/<uuid:pk>/", views.observation_detail, name="detail"),
    path("records/<uuid:pk>/acknowledge/", views.feedback_acknowledge, name="acknowledge"),
    path("records/<uuid:pk>/reply/", views.feedback_reply, name="reply"),
    path("records/<uuid:pk>/feedback.pdf", views.feedback_pdf, name="feedback_pdf"),
    path("records/<uuid:pk>/review/", views.review, name="review"),
    path("my-feedback/", views.my_feedback, name="my_feedback"),
    path("reviews/", views.reviews, name="reviews"),
    path("quality/", views.quality, name="quality"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("conflicts/<uuid:pk>/", views.conflict_detail, name="conflict"),
    path("instruments/", views.instruments, name="instruments"),
    path("instruments/import/", views.instrument_import, name="instrument_import"),
    path("instruments/<uuid:pk>/", views.instrument_detail, name="instrument"),
    path("instruments/<uuid:pk>/xlsform/", views.instrument_xlsform, name="instrument_xlsform"),
    path("instruments/<uuid:pk>/status/", views.instrument_status, name="instrument_status"),
]
