"""Only the API's own views skip the site's sign-in and second factor (auth review 2).

The site's middleware let every path under ``/api/`` through, because the API checks its
bearer tokens itself.  A page mounted there by mistake (a debug view, an app's JSON
helper) would have been served to anyone.  Now the skip needs the API's views: its
namespace or its fallback route.
"""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from amanat.accounts.testing import Personas, sign_in
from amanat.urls import urlpatterns as site_patterns


def stray_page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"hello {request.user}")


urlpatterns = [path("api/v1/stray/", stray_page, name="stray"), *site_patterns]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_page_under_the_api_prefix_still_needs_sign_in_and_the_second_factor(
        personas: Personas) -> None:
    anonymous = Client().get("/api/v1/stray/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    password_only = sign_in(Client(), personas.admin, verified=False).get("/api/v1/stray/")
    assert password_only.status_code == 302 and "/accounts/2fa/" in password_only["Location"]
    assert sign_in(Client(), personas.admin).get("/api/v1/stray/").status_code == 200
    # The API itself still answers with its own checks: JSON 401 without a token.
    assert Client().get("/api/v1/me").status_code == 401
    assert Client().get("/api/v1/nothing-here").status_code == 404
