from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "amanat.core"
    label = "core"
    verbose_name = "Amanat"
