"""The outbox and the incoming SMS, read-only, for the operators (docs/sms.md): what was
sent to whom and when, what failed and why, what came in and what became of it.  Numbers
and addresses are masked; the admin's changes are audited (audit.admin wraps every
ModelAdmin), and these allow none."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from amanat.core.models import InboundSms, OutboundMessage
from amanat.core.notify import mask_address, mask_phone


class _ReadOnly(admin.ModelAdmin[Any]):
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(_ReadOnly):
    list_display = ("created_at", "channel", "recipient", "purpose", "status", "attempts",
                    "sent_at", "last_error")
    list_filter = ("status", "channel", "purpose")
    date_hierarchy = "created_at"
    fields = ("channel", "recipient", "subject", "text", "purpose", "sensitive", "status",
              "attempts", "last_error", "gateway_answer", "created_at", "sent_at")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="to")
    def recipient(self, obj: OutboundMessage) -> str:
        return mask_address(obj.to)


@admin.register(InboundSms)
class InboundSmsAdmin(_ReadOnly):
    list_display = ("received_at", "sender_masked", "handler", "outcome", "error",
                    "reference", "text")
    list_filter = ("outcome", "handler")
    search_fields = ("gateway_id", "reference")
    date_hierarchy = "received_at"
    fields = ("gateway_id", "sender_masked", "receiver", "text", "coding", "gateway_time",
              "received_at", "handler", "outcome", "error", "reference", "reply")
    readonly_fields = fields
    show_full_result_count = False

    @admin.display(description="from")
    def sender_masked(self, obj: InboundSms) -> str:
        return mask_phone(obj.sender)
