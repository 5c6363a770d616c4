from django.apps import AppConfig


class ElectionsConfig(AppConfig):
    name = "amanat.elections"
    label = "elections"
    verbose_name = "Elections"
