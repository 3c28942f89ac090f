from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("cohorts/<uuid:pk>/growth.xlsx", views.growth_xlsx, name="growth_xlsx"),
    path("cohorts/<uuid:pk>/growth.pdf", views.growth_pdf_view, name="growth_pdf"),
    path("members/<uuid:pk>/profile.pdf", views.profile_pdf_view, name="profile_pdf"),
]
