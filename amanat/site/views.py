"""The home page: national figures of the geography."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amanat.geo import selectors as geo_selectors
from amanat.geo.models import Kind
from amanat.portal.views import public_home

# The figures shown on the home page, in the order of the hierarchy.
HOME_KINDS = [
    Kind.PROVINCE,
    Kind.COUNTY,
    Kind.DISTRICT,
    Kind.CITY,
    Kind.RURAL_DISTRICT,
    Kind.VILLAGE,
]


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        # Signed out: the public portal's home (amanat/portal), not the sign-in page.
        return public_home(request)
    counts = geo_selectors.unit_counts_by_kind()
    figures = [
        {"kind": kind.value, "label": kind.label, "count": counts[kind]} for kind in HOME_KINDS
    ]
    return render(request, "site/home.html", {"figures": figures})
