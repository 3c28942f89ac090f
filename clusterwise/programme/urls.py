from django.urls import path

from . import views

app_name = "programme"
urlpatterns = [
    path("", views.cohort_list, name="cohorts"),
    path("new/", views.cohort_new, name="cohort_new"),
    path("<uuid:pk>/", views.cohort_detail, name="cohort"),
    path("<uuid:pk>/edit/", views.cohort_edit, name="cohort_edit"),
    path("<uuid:pk>/enrol/", views.cohort_enrol, name="enrol"),
    path("<uuid:pk>/workshops/", views.workshop_list, name="workshops"),
    path("<uuid:pk>/workshops/new/", views.workshop_new, name="workshop_new"),
    path("<uuid:pk>/assignments/", views.assignment_list, name="assignments"),
    path("<uuid:pk>/assignments/new/", views.assignment_new, name="assignment_new"),
    path("members/<uuid:pk>/", views.member_detail, name="member"),
    path("members/<uuid:pk>/supporter/", views.member_supporter, name="member_supporter"),
    path("members/<uuid:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("workshops/<uuid:pk>/", views.workshop_detail, name="workshop"),
    path("workshops/<uuid:pk>/edit/", views.workshop_edit, name="workshop_edit"),
    path("assignments/<uuid:pk>/", views.assignment_detail, name="assignment"),
    path("assignments/<uuid:pk>/edit/", views.assignment_edit, name="assignment_edit"),
    path("assignments/<uuid:pk>/submit/", views.submission_new, name="submit"),
    path("submissions/<uuid:pk>/", views.submission_detail, name="submission"),
    path("files/<uuid:pk>/", views.attachment_download, name="attachment"),
    path("visits/<uuid:pk>/", views.visit_detail, name="visit"),
    path("actions/<uuid:pk>/done/", views.action_done, name="action_done"),
]
