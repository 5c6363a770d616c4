"""Back-office screens of the atlas: the required measures per tier (the road map)."""

from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from amanat.accounts import policy
from amanat.accounts.access import can_nationally
from amanat.atlas.models import RequiredMeasure
from amanat.atlas.services import required_measure_save
from amanat.audit.admin import AuditedModelAdmin

LABEL = "atlas.requiredmeasure"


@admin.register(RequiredMeasure)
class RequiredMeasureAdmin(AuditedModelAdmin[RequiredMeasure]):
    list_display = ("description_fa", "description_en", "tier", "scope", "check_code", "active")
    list_filter = ("tier", "scope", "active")

    def has_view_permission(self, request: HttpRequest, obj: RequiredMeasure | None = None) -> bool:
        return can_nationally(request.user, policy.VIEW, LABEL) or super().has_view_permission(
            request, obj)

    def has_change_permission(self, request: HttpRequest, obj: RequiredMeasure | None = None
                              ) -> bool:
        # The policy table decides: national administrators edit the road map.
        return can_nationally(request.user, policy.CHANGE, LABEL)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_nationally(request.user, policy.CHANGE, LABEL)

    def has_delete_permission(self, request: HttpRequest, obj: RequiredMeasure | None = None
                              ) -> bool:
        return False  # switch a measure off (active) instead: the audit trail keeps its history

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_nationally(request.user, policy.VIEW, LABEL)

    def save_model(self, request: HttpRequest, obj: RequiredMeasure,
                   form: ModelForm[RequiredMeasure], change: bool) -> None:
        required_measure_save(measure=obj, actor=request.user)
