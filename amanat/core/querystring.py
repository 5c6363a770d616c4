"""Query strings that no page can read: a NUL character is a 400 before any view runs.

NUL is never typed, only sent (``lib.persian.clean_text`` leaves it for the interfaces to
refuse), and PostgreSQL cannot compare or store text holding it: a page that passes a
query value to the database (``?election=``, the unit search's ``?q=``) would answer 500.
Forms refuse it with a message on the field; values read straight from the query string
(the election picker, searches, drill-downs) are refused here, once, for every page.
The API's parameters are refused by its schemas, per field (``core.api_types``).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse


class NulQueryStringMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(settings.AMANAT_API_PREFIX):
            # The API's own chain does not hold this; its schemas answer per field.
            return self.get_response(request)
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("NUL in the query string")
        return self.get_response(request)
