"""The home page: national figures of the geography."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amanat.geo import selectors as geo_selectors
from amanat.geo.models import Kind

# The figures shown on the home page, in the order of the hierarchy.
HOME_KINDS = [
    Kind.PROVINCE,
    Kind.COUNTY,
    Kind.DISTRICT,
    Kind.CITY,
    Kind.RURAL_DISTRICT,
    Kind.VILLAGE,
]


def home(request: HttpRequest) -> HttpResponse:
    counts = geo_selectors.unit_counts_by_kind()
    figures = [
        {"kind": kind.value, "label": kind.label, "count": counts[kind]} for kind in HOME_KINDS
    ]
    return render(request, "site/home.html", {"figures": figures})
