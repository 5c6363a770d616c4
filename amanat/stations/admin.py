from __future__ import annotations

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from amanat.audit.admin import AuditedModelAdmin
from amanat.stations.models import Station, TokenStation
from amanat.stations.services import station_save


@admin.register(Station)
class StationAdmin(AuditedModelAdmin[Station]):
    list_display = ("code", "name", "county", "unit", "kind", "cctv", "fibre", "sensitive",
                    "status", "election")
    list_filter = ("election", "status", "sensitive", "cctv", "fibre", "kind", "venue")
    search_fields = ("code", "name", "address")
    raw_id_fields = ("county", "unit", "constituency")
    list_select_related = ("county", "unit", "election")
    readonly_fields = ("unit_path", "h3_cell", "created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: Station, form: ModelForm[Station],
                   change: bool) -> None:
        station_save(station=obj, actor=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Station | None = None) -> bool:
        # Stations are closed (status), not deleted: assignments and reports point at them.
        return False


@admin.register(TokenStation)
class TokenStationAdmin(AuditedModelAdmin[TokenStation]):
    """The stations API tokens are bound to; bindings come from the token page's service."""

    list_display = ("token", "station")
    raw_id_fields = ("token", "station")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: TokenStation | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: TokenStation | None = None) -> bool:
        # A device's bindings end with its token (revoke it on the tokens page); a token
        # left with none reaches nothing anyway (selectors.token_station_ids).
        return False
