"""Read-only admin screens: the log can be looked at here, never changed."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from amanat.audit.models import Checkpoint, Event


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "time", "actor_name", "action", "object_type", "object_id", "unit_path"]
    list_filter = ["action"]
    search_fields = ["action", "actor_name", "object_type", "object_id", "unit_path"]
    date_hierarchy = "time"
    actions = None
    show_full_result_count = False


@admin.register(Checkpoint)
class CheckpointAdmin(ReadOnlyAdmin):
    list_display = ["size", "time", "root", "public_key"]
    actions = None
