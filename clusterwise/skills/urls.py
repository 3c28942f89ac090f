from django.urls import path

from . import views

app_name = "skills"
urlpatterns = [
    path("frameworks/", views.framework_list, name="frameworks"),
    path("frameworks/<uuid:pk>/", views.framework_detail, name="framework"),
    path("frameworks/<uuid:pk>/revise/", views.framework_revise, name="framework_revise"),
    path("frameworks/<uuid:pk>/publish/", views.framework_publish, name="framework_publish"),
    path("frameworks/<uuid:pk>/retire/", views.framework_retire, name="framework_retire"),
    path("frameworks/<uuid:pk>/delete/", views.framework_delete, name="framework_delete"),
    path(
        "frameworks/<uuid:pk>/themes/<int:theme>/add-skill/",
        views.skill_add,
        name="skill_add",
    ),
    path("skills/<int:pk>/edit/", views.skill_edit, name="skill_edit"),
    path("skills/<int:pk>/remove/", views.skill_remove, name="skill_remove"),
    path(
        "members/<uuid:pk>/assess/<slug:round>/<slug:kind>/",
        views.assess,
        name="assess",
    ),
    path("cohorts/<uuid:pk>/matrix/", views.matrix, name="matrix"),
    path("cohorts/<uuid:pk>/growth/", views.growth, name="growth"),
    path("cohorts/<uuid:pk>/growth/chart.svg", views.growth_chart, name="growth_chart"),
]
