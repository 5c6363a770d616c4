from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "amanat.site"
    label = "site"
    verbose_name = "Amanat site"

    def ready(self) -> None:
        # The home page keeps the readiness gaps for a minute; a station change
        # forgets them (docs/decisions/0003-layers.md, change notices).
        from amanat.core import changes
        from amanat.site import selectors

        changes.listen(selectors.forget_gaps)
