"""Back-office screens for the geography: read-only units, editable constituencies."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from amanat.audit.admin import AuditedModelAdmin
from amanat.geo.models import AdminUnit, Constituency
from amanat.lib.persian import search_key


@admin.register(AdminUnit)
class AdminUnitAdmin(AuditedModelAdmin[AdminUnit]):
    """Units come from the official divisions file (amanat import-geo), never by hand."""

    list_display = ("name", "kind", "code", "parent", "placement", "population")
    list_filter = ("kind", "placement")
    search_fields = ("name_key", "=code")
    list_select_related = ("parent",)
    show_full_result_count = False  # COUNT(*) over 100,000 units on every page is waste
    readonly_fields = [f.name for f in AdminUnit._meta.fields]
    ordering = ("path",)

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[AdminUnit], search_term: str
    ) -> tuple[QuerySet[AdminUnit], bool]:
        # Match the stored key, so «كرمان», «کرمان» and «کر‌مان» all find Kerman.
        return super().get_search_results(request, queryset, search_key(search_term))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AdminUnit | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AdminUnit | None = None) -> bool:
        return False


@admin.register(Constituency)
class ConstituencyAdmin(AuditedModelAdmin[Constituency]):
    list_display = ("code", "name", "province")
    list_filter = ("province",)
    search_fields = ("code", "name")
    autocomplete_fields = ("province", "counties")
