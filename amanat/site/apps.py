from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "amanat.site"
    label = "site"
    verbose_name = "Amanat site"
