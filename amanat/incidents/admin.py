from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from amanat.audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from amanat.incidents.models import Case, Category, Report
from amanat.incidents.services import CATEGORY_FIELDS, category_update


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin[Category]):
    list_display = ("sms_code", "name_fa", "name_en", "agency", "severity", "response_hours",
                    "active")
    list_select_related = ("agency",)
    readonly_fields = ("code",)

    def save_model(self, request: HttpRequest, obj: Category, form: ModelForm[Category],
                   change: bool) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        fresh = Category.objects.get(pk=obj.pk)
        changes = {name: form.cleaned_data[name] for name in form.changed_data
                   if name in CATEGORY_FIELDS}
        category_update(category=fresh, changes=changes, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Category | None = None) -> bool:
        return False  # reports and cases point at categories; deactivate instead


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Read-only: reports are append-only."""

    list_display = ("reference", "channel", "received_at", "category", "unit")
    list_select_related = ("category", "unit")
    search_fields = ("reference",)


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Read-only here: cases change only through their steps (the case pages)."""

    list_display = ("number", "status", "severity", "category", "agency", "unit", "due_at")
    list_filter = ("status", "severity", "category")
    list_select_related = ("category", "agency", "unit")
    search_fields = ("number",)
