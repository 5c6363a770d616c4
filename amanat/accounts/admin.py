from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts.models import Agency, ApiToken, Membership

# django-otp's device admin would let staff add a device with a key they know to anyone's
# account, or remove one, with no audit entry. Devices change only through enrolment (by
# their owner, verified) and the audited reset (a national administrator or
# ``amanat otp-reset``).
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name_fa", "name_en", "kind")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "unit", "agency", "active", "created_at")
    list_filter = ("role", "active")
    raw_id_fields = ("user", "unit", "created_by")
    search_fields = ("user__username", "unit__name")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    # The digest is useless to an operator and the plaintext is never stored.
    list_display = ("name", "user", "expires_at", "revoked_at", "last_used_at")
    exclude = ("token_hash",)
    readonly_fields = ("user", "name", "expires_at", "last_used_at")

    def has_add_permission(self, request: object) -> bool:  # tokens come from the service
        return False
