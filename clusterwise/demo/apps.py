from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "clusterwise.demo"
    label = "demo"
    verbose_name = "Demo state"
