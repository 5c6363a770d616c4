from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "amanat.accounts"
    label = "accounts"
    verbose_name = "Accounts and access"

    def ready(self) -> None:
        # Checks register themselves on import; sign-in events are framework signals.
        from amanat.accounts import checks, services  # noqa: F401

        services.connect_auth_signals()
        _require_otp_for_admin()


def _require_otp_for_admin() -> None:
    """The admin site accepts only sessions verified with a second factor."""
    from django.contrib import admin
    from django_otp.admin import OTPAdminSite

    admin.site.__class__ = OTPAdminSite
