from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin
from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db import router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts import services
from amanat.accounts.models import Agency, ApiToken, Membership
from amanat.audit.admin import AuditedModelAdmin

# django-otp's device admin would let staff add a device with a key they know to anyone's
# account, or remove one, with no audit entry. Devices change only through enrolment (by
# their owner, verified) and the audited reset (a national administrator or
# ``amanat otp-reset``).
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


class AuditedUserAdmin(AuditedModelAdmin[User], UserAdmin):
    """Django's user admin on the audited base: a change of another user's password,
    roles flags or groups is an ``admin.change`` event naming the fields."""

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        # Staff rights make the second factor required: tokens issued without it end.
        asked = not change or services.second_factor_asked(obj)
        super().save_model(request, obj, form, change)
        services.tokens_end_if_second_factor_new(user=obj, asked_before=asked,
                                                 actor=request.user)  # type: ignore[arg-type]

    def user_change_password(self, request: HttpRequest, id: str,
                             form_url: str = "") -> HttpResponse:
        # Django saves the password and logs it in two steps: one transaction, so that
        # the password never changes without its audit event.
        with transaction.atomic(using=router.db_for_write(self.model)):
            response: HttpResponse = super().user_change_password(request, id, form_url)
        return response


admin.site.unregister(User)
admin.site.register(User, AuditedUserAdmin)


class AuditedAccessAttemptAdmin(AuditedModelAdmin[AccessAttempt], AccessAttemptAdmin):
    """axes' lockouts on the audited base (unlocking someone is deleting their row)."""

    @admin.action(description=gettext_lazy("Clean up expired attempts"))
    def cleanup_expired_attempts(self, request: HttpRequest,
                                 queryset: QuerySet[AccessAttempt]) -> None:
        # axes' action reads the request attributes its handler sets only on sign-in
        # requests (a 500 otherwise).
        AxesProxyHandler.update_request(request)
        super().cleanup_expired_attempts(request, queryset)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, AuditedAccessAttemptAdmin)


@admin.register(Agency)
class AgencyAdmin(AuditedModelAdmin[Agency]):
    list_display = ("code", "name_fa", "name_en", "kind")


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin[Membership]):
    list_display = ("user", "role", "unit", "agency", "active", "created_at")
    list_filter = ("role", "active")
    raw_id_fields = ("user", "unit", "created_by")
    search_fields = ("user__username", "unit__name")

    def save_model(self, request: HttpRequest, obj: Membership, form: Any,
                   change: bool) -> None:
        """A membership added or changed here that makes the second factor required ends
        the user's API tokens, as ``services.membership_grant`` does (auth review 2, F5)."""
        asked = services.second_factor_asked(obj.user)
        super().save_model(request, obj, form, change)
        services.tokens_end_if_second_factor_new(user=obj.user, asked_before=asked,
                                                 actor=request.user)  # type: ignore[arg-type]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin[ApiToken]):
    # The digest is useless to an operator and the plaintext is never stored.
    list_display = ("name", "user", "expires_at", "revoked_at", "last_used_at")
    exclude = ("token_hash",)
    readonly_fields = ("user", "name", "expires_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:  # tokens come from the service
        return False
