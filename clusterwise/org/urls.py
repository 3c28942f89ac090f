from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("units/<uuid:pk>/", views.unit_detail, name="unit"),
    path("schools/", views.school_list, name="schools"),
    path("people/", views.people_list, name="people"),
    path("people/new/", views.person_new, name="person_new"),
    path("people/<uuid:pk>/", views.person_detail, name="person"),
    path("people/<uuid:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<uuid:pk>/assign/", views.assignment_new, name="assignment_new"),
    path("people/<uuid:pk>/password/", views.person_set_password, name="person_password"),
    path("assignments/<uuid:pk>/transfer/", views.assignment_transfer, name="transfer"),
    path("assignments/<uuid:pk>/end/", views.assignment_end, name="assignment_end"),
    path("import/", views.import_upload, name="import"),
    path("import/<uuid:pk>/", views.import_job, name="import_job"),
    path("history/<str:kind>/<uuid:pk>/", views.history, name="history"),
]
