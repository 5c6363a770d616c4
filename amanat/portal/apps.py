from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The public face (home for signed-out visitors, station finder, open data,
    awareness material) and the field app for inspectors and police."""

    name = "amanat.portal"
    label = "portal"
    verbose_name = _("Public portal and field app")
