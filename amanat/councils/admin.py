"""Back-office screens for councils: creation goes through the audited service; meetings
and their parts are read-only here (the pages write them, with audit entries)."""

from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from amanat.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from amanat.councils.models import ActionItem, Council, Meeting
from amanat.councils.services import council_create


@admin.register(Council)
class CouncilAdmin(AuditedModelAdmin[Council]):
    list_display = ("name", "kind", "unit")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("unit",)
    list_select_related = ("unit",)
    readonly_fields = ("unit_path", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Council | None = None
                            ) -> tuple[str, ...]:
        # Existing councils are read-only: their meetings hang on the unit and kind.
        if obj is not None:
            return ("unit", "kind", "name", "unit_path", "created_at")
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Council, form: ModelForm[Council],
                   change: bool) -> None:
        if not change:
            created = council_create(unit=obj.unit, kind=obj.kind, name=obj.name,
                                     actor=request.user)
            obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Council | None = None) -> bool:
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyAdmin):
    list_display = ("council", "number", "held_on", "status")
    list_select_related = ("council",)


@admin.register(ActionItem)
class ActionItemAdmin(ReadOnlyAdmin):
    list_display = ("text", "owner", "due_on", "status")
    list_filter = ("status", "owner")
    list_select_related = ("owner",)
