from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "clusterwise.api"
    label = "api"
    verbose_name = "API"
