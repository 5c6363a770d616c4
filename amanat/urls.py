from django.contrib import admin
from django.urls import include, path, re_path

from amanat.accounts import views as accounts_views
from amanat.api import api, api_fallback
from amanat.incidents import views as incidents_views

# A database that is full, locked or unreachable is a 503 with Retry-After, not a 500.
handler500 = "amanat.core.outage.server_error"

urlpatterns = [
    # The language switch must work on the sign-in page too, before anyone signs in.
    # The choice is remembered on a signed-in user's profile (accounts.views).
    path("i18n/setlang/", accounts_views.language_switch, name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("amanat.accounts.urls")),
    path("api/v1/", api.urls),
    # After the API's own routes: a path without its slash, or no route at all, still
    # answers JSON.
    re_path(r"^api/v1/", api_fallback, name="api_fallback"),
    path("geo/", include("amanat.geo.urls")),
    path("elections/", include("amanat.elections.urls")),
    path("audit/", include("amanat.audit.urls")),
    path("stations/", include("amanat.stations.urls")),
    path("atlas/", include("amanat.atlas.urls")),
    path("incidents/", include("amanat.incidents.urls")),
    path("councils/", include("amanat.councils.urls")),
    path("candidates/review/", include("amanat.candidates.review_urls")),
    path("candidates/", include("amanat.candidates.urls")),
    path("plans/", include("amanat.plans.urls")),
    path("boards/", include("amanat.boards.urls")),
    path("staffing/", include("amanat.staffing.urls")),
    path("operations/", include("amanat.operations.urls")),
    # Training: the public awareness material and certificate check (no account), then
    # the staff pages.
    path("training/", include("amanat.training.public_urls")),
    path("training/", include("amanat.training.urls")),
    # Public pages (no account): report a violation, check a report's status.
    path("report/", incidents_views.public_report, name="public_report"),
    path("report/status/", incidents_views.public_status, name="public_report_status"),
    # The public portal and the field app (amanat/portal/urls.py).
    path("", include("amanat.portal.urls")),
    # The published final lists of candidates, with open data (no account).
    path("final-lists/", include("amanat.candidates.public_urls")),
    path("", include("amanat.site.urls")),
]
