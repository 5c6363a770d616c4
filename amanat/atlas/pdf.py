"""The printed atlas of a county or a province: Persian right-to-left PDFs made with
WeasyPrint.

The map is an SVG drawn here from the offline base map (Iran's outline, the county's area
and its neighbours', ``geo.boundaries``) and station coordinates (no tiles, works offline);
the text is set in Vazirmatn, loaded from node_modules with a file:// URL so that Pango
shapes the Persian correctly. The templates are ``atlas/county_pdf.html`` and
``atlas/province_pdf.html`` (the province's score and map of its counties by tier, then
a summary of each county).
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from amanat.accounts.access import AnyUser
from amanat.atlas.models import NationalTier, StationScore, UnitLevel, UnitScore
from amanat.atlas.selectors import (
    TIER_COLOURS,
    county_atlas,
    county_gaps,
    factor_rows,
    national_tier,
    unit_score,
)
from amanat.audit.services import audit_record
from amanat.elections.models import Election
from amanat.geo import boundaries
from amanat.geo.models import AdminUnit
from amanat.lib.jalali import format_jalali
from amanat.stations.map import earth_q, on_earth

MAP_WIDTH, MAP_HEIGHT, MAP_MARGIN = 600.0, 380.0, 20.0


def font_url(weight: str = "Regular") -> str:
    path = settings.NODE_MODULES / "vazirmatn" / "fonts" / "ttf" / f"Vazirmatn-{weight}.ttf"
    return path.resolve().as_uri()


def map_svg(points: list[tuple[float, float, int]], centre: tuple[float, float] | None,
            area: boundaries.Area | None = None,
            neighbours: list[boundaries.Area] | None = None) -> SafeString:
    """Stations as dots coloured by tier over the county's ``area`` and the ``neighbours``'
    outlines and Iran's, north up; the county's seat (``centre``) as a ring.
    Equirectangular, with longitude scaled by cos(latitude)."""
    coords = [(lat, lon) for lat, lon, _ in points] + ([centre] if centre else [])
    if area is not None:
        south, west, north, east = area.bounds
        coords += [(south, west), (north, east)]
    if not coords:
        return mark_safe("")
    lats, lons = [c[0] for c in coords], [c[1] for c in coords]
    k = math.cos(math.radians(sum(lats) / len(lats)))
    span_x = max((max(lons) - min(lons)) * k, 0.02)
    span_y = max(max(lats) - min(lats), 0.02)
    scale = min((MAP_WIDTH - 2 * MAP_MARGIN) / span_x, (MAP_HEIGHT - 2 * MAP_MARGIN) / span_y)
    mid_lon, mid_lat = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return (MAP_WIDTH / 2 + (lon - mid_lon) * k * scale,
                MAP_HEIGHT / 2 - (lat - mid_lat) * scale)

    def path(geometry: Any, attributes: str) -> str:
        rings = []
        for polygon in getattr(geometry, "geoms", [geometry]):
            for ring in (polygon.exterior, *polygon.interiors):
                pts = [xy(lat, lon) for lon, lat in ring.coords]
                rings.append("M" + "L".join(f"{x:.1f} {y:.1f}" for x, y in pts) + "Z")
        return f'<path d="{"".join(rings)}" fill-rule="evenodd" {attributes}/>' if rings else ""

    shapes = [f'<rect width="{MAP_WIDTH:.0f}" height="{MAP_HEIGHT:.0f}" fill="#e3e6e4"/>']
    shapes.append(path(boundaries.iran_outline(), 'fill="#fbfaf4" stroke="#24473a" '
                                                  'stroke-width="1.5" class="country"'))
    for other in neighbours or []:
        dash = ' stroke-dasharray="3 3"' if other.approx else ""
        shapes.append(path(other.geometry, f'fill="none" stroke="#8c9a94" stroke-width="0.8"'
                                           f'{dash} class="neighbour"'))
    if area is not None:
        dash = ' stroke-dasharray="6 4"' if area.approx else ""
        shapes.append(path(area.geometry, f'fill="#f3d98b" fill-opacity="0.3" stroke="#b08d3c" '
                                          f'stroke-width="2.5"{dash} class="county"'))
    # Highest risk drawn last, on top.
    for lat, lon, tier in sorted(points, key=lambda p: -p[2]):
        x, y = xy(lat, lon)
        shapes.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{TIER_COLOURS[tier]}" '
                      'stroke="#343a40" stroke-width="0.5"/>')
    if centre:
        x, y = xy(*centre)
        shapes.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="9" fill="none" stroke="#1b3a5b" '
                      'stroke-width="2.5"/>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {MAP_WIDTH:.0f} '
           f'{MAP_HEIGHT:.0f}" width="100%" overflow="hidden">{"".join(shapes)}</svg>')
    return mark_safe(svg)  # noqa: S308 - built only from numbers and fixed strings above


def _county_areas(county: AdminUnit) -> tuple[boundaries.Area | None, list[boundaries.Area]]:
    """The county's area and the areas of the counties that touch it."""
    current = boundaries.areas()
    area = current.of(county.pk)
    if area is None:
        return None, []
    near = area.geometry.buffer(0.05)
    return area, [c for c in current.counties
                  if c.unit_id != county.pk and c.geometry.intersects(near)]


def _station_points(election: Election, county: AdminUnit) -> list[tuple[float, float, int]]:
    # Only coordinates that can be drawn (finite, on the globe): see stations.map.EARTH.
    rows = StationScore.objects.filter(
        earth_q("station__latitude", "station__longitude"), election=election, county=county,
    ).values_list("station__latitude", "station__longitude", "tier")
    return [(float(lat), float(lon), int(tier)) for lat, lon, tier in rows
            if lat is not None and lon is not None]


def county_html(election: Election, county: AdminUnit, *, today: datetime.date | None = None
                ) -> str:
    today = today or timezone.localdate()
    with translation.override("fa"):
        context = county_atlas(election, county, "fa")
        lat, lon = county.latitude, county.longitude
        centre = (lat, lon) if lat is not None and lon is not None and on_earth(lat, lon) else None
        area, neighbours = _county_areas(county)
        context |= {
            "map_svg": map_svg(_station_points(election, county), centre, area, neighbours),
            "area_approx": area is None or area.approx,
            "font_regular": font_url("Regular"), "font_bold": font_url("Bold"),
            "date_fa": format_jalali(today, fmt="long"),
            "date_numeric": format_jalali(today),
            "title": escape(county.name),
        }
        return render_to_string("atlas/county_pdf.html", context)


def county_pdf(election: Election, county: AdminUnit, *, today: datetime.date | None = None
              ) -> bytes:
    from weasyprint import HTML

    html = county_html(election, county, today=today)
    data: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return data


def county_pdf_audited(*, election: Election, county: AdminUnit, actor: AnyUser) -> bytes:
    """The county's printed atlas for a person: the download is an audit event."""
    with transaction.atomic():
        audit_record(action="atlas.export_pdf", actor=actor, unit=county,
                     object_type="geo.adminunit", object_id=county.pk,
                     extra={"election": election.slug})
    return county_pdf(election, county)


def _province_areas(province: AdminUnit) -> tuple[boundaries.Area | None, list[boundaries.Area]]:
    """The province's area and its counties' areas."""
    current = boundaries.areas()
    return current.of(province.pk), [c for c in current.counties
                                     if c.parent_id == province.pk]


def province_html(election: Election, province: AdminUnit, *,
                  today: datetime.date | None = None) -> str:
    """The printed province atlas: its score and tier (with the national floor), the map
    of its counties coloured by tier, the counties by score, and each county's summary
    (tier, score, main factors, national tier, required measures and gaps)."""
    today = today or timezone.localdate()
    with translation.override("fa"):
        score = unit_score(election, province)
        rows = list(UnitScore.objects.filter(
            election=election, level=UnitLevel.COUNTY, unit__parent=province)
            .select_related("unit").order_by("-value", "unit__code"))
        floors = {t.county_id: t for t in _national_tiers(election, [r.unit_id for r in rows])}
        counties = [{"row": r, "factors": factor_rows(r.explanation, "fa")[:4],
                     "national_tier": floors.get(r.unit_id),
                     "gaps": county_gaps(election, r.unit, r.tier)} for r in rows]
        points = [(float(r.unit.latitude), float(r.unit.longitude), int(r.tier)) for r in rows
                  if r.unit.latitude is not None and r.unit.longitude is not None
                  and on_earth(r.unit.latitude, r.unit.longitude)]
        area, county_areas = _province_areas(province)
        tiers = {t: sum(1 for r in rows if r.tier == t) for t in (1, 2, 3, 4)}
        context = {
            "election": election, "unit": province, "score": score,
            "factors": factor_rows(score.explanation, "fa") if score else [],
            "national_tier": national_tier(election, province),
            "counties": counties, "tiers": tiers,
            "map_svg": map_svg(points, None, area, county_areas),
            "area_approx": area is None or area.approx,
            "font_regular": font_url("Regular"), "font_bold": font_url("Bold"),
            "date_fa": format_jalali(today, fmt="long"),
            "date_numeric": format_jalali(today),
        }
        return render_to_string("atlas/province_pdf.html", context)


def _national_tiers(election: Election, unit_ids: list[int]) -> list[NationalTier]:
    return list(NationalTier.objects.filter(election=election, county_id__in=unit_ids))


def province_pdf(election: Election, province: AdminUnit, *,
                 today: datetime.date | None = None) -> bytes:
    from weasyprint import HTML

    html = province_html(election, province, today=today)
    data: bytes = HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
    return data


def province_pdf_audited(*, election: Election, province: AdminUnit, actor: AnyUser) -> bytes:
    """The province's printed atlas for a person: the download is an audit event."""
    with transaction.atomic():
        audit_record(action="atlas.export_pdf", actor=actor, unit=province,
                     object_type="geo.adminunit", object_id=province.pk,
                     extra={"election": election.slug, "level": "province"})
    return province_pdf(election, province)
