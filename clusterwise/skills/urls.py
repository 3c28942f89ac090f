from django.urls import path

from . import views

app_name = "skills"
urlpatterns = [
    path("frameworks/", views.framework_list, name="frameworks"),
]
