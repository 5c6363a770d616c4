from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "amanat.geo"
    label = "geo"
    verbose_name = "Geography"
