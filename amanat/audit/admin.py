"""The admin and the audit log: every change made in the admin is recorded, and the log
itself can be looked at here, never changed.

``AuditedModelAdmin`` is the one place the admin meets the audit log: Django calls its
``log_addition``/``log_change``/``log_deletions`` for every add, change (including the
user admin's password form and ``list_editable``) and delete (one object or the bulk
action), and each also appends an ``admin.add``/``admin.change``/``admin.delete`` event,
in the transaction of the change.  Any other bulk action is recorded as ``admin.action``.
Every registered ModelAdmin derives from it: the project's own say so, and
``audit_every_admin`` re-registers those of other packages (auth's users and groups,
axes, the task queue) on it at start-up.  The events name fields, never values: the
password form's record says ``password`` changed, not what to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.contrib import admin
from django.db import models, router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from amanat.audit.models import Checkpoint, Event
from amanat.audit.services import audit_record
from amanat.geo.models import AdminUnit

# An admin action: (modeladmin, request, queryset) -> a response or None.
Action = Callable[..., Any]
# Selected objects named in one ``admin.action`` event at most (the count is always there).
ACTION_IDS = 1000


def _unit_of(obj: models.Model) -> AdminUnit | None:
    """The unit an object belongs to (its ``unit`` or ``county``), for the event's scope."""
    for name in ("unit", "county"):
        unit = getattr(obj, name, None)
        if isinstance(unit, AdminUnit):
            return unit
    return None


def _record(request: HttpRequest, action: str, obj: models.Model, message: Any) -> None:
    audit_record(
        action=action, actor=request.user, unit=_unit_of(obj), obj=obj,
        extra={"via": "admin", "object": str(obj)[:200], "changes": message or None},
    )


def _audited_action(func: Action, name: str) -> Action:
    """``func`` run in one transaction with its record.  The bulk delete records each
    object it deletes (``log_deletions``); any other action records what it was run on."""

    def run(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:ACTION_IDS]]
            response = func(modeladmin, request, queryset)
            if name != "delete_selected":
                audit_record(
                    action="admin.action", actor=request.user,
                    object_type=queryset.model._meta.label_lower,
                    extra={"via": "admin", "action": name, "selected": queryset.count(),
                           "ids": ids},
                )
        return response

    return run


_M = TypeVar("_M", bound=models.Model)


class AuditedModelAdmin(admin.ModelAdmin[_M]):
    """A ModelAdmin whose every add, change, delete and action is in the audit log."""

    def log_addition(self, request: HttpRequest, obj: _M, message: Any) -> Any:
        _record(request, "admin.add", obj, message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: _M, message: Any) -> Any:
        _record(request, "admin.change", obj, message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Iterable[_M]) -> Any:
        # Called before the objects go, in the transaction that deletes them.
        for obj in queryset:
            _record(request, "admin.delete", obj, None)
        return super().log_deletions(request, queryset)  # type: ignore[arg-type]

    def get_actions(self, request: HttpRequest) -> dict[str, tuple[Action, str, str] | None]:
        # name -> (function, name, description), as Django's.
        return {
            name: None if entry is None else (_audited_action(entry[0], name), *entry[1:])
            for name, entry in super().get_actions(request).items()
        }


def audited(admin_class: type[admin.ModelAdmin[Any]]) -> type[admin.ModelAdmin[Any]]:
    """``admin_class`` on the audited base (a subclass; itself if it already is)."""
    if issubclass(admin_class, AuditedModelAdmin):
        return admin_class
    return type(admin_class.__name__, (AuditedModelAdmin, admin_class), {
        "__module__": __name__, "__doc__": admin_class.__doc__})


def audit_every_admin(site: admin.AdminSite) -> None:
    """Re-register every ModelAdmin of ``site`` that is not audited on the audited base
    (those of other packages); run once the admin modules are loaded."""
    for model, model_admin in list(site._registry.items()):
        if not isinstance(model_admin, AuditedModelAdmin):
            site.unregister(model)
            site.register(model, audited(type(model_admin)))


class ReadOnlyAdmin(AuditedModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
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
