from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "clusterwise.core"
    label = "core"
    verbose_name = "Clusterwise core"
