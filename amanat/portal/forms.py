"""Forms of the public portal and the field app."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from amanat.core.forms import CleanCharField, FilterForm
from amanat.incidents.forms import StaffReportForm

# A phone opens its camera for the evidence field (the file picker elsewhere).
CAMERA_ATTRS = {"accept": "image/*", "capture": "environment"}


class StationFinderForm(FilterForm):
    q = CleanCharField(
        label=_("Province, county, city, village or station"), max_length=100,
        help_text=_("Any spelling: Persian or Arabic letters, with or without spaces"),
    )


class FieldReportForm(StaffReportForm):
    """The staff report form as the field app sends it: the photo from the camera."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["evidence"].label = _("Photo (optional)")
        self.fields["evidence"].widget.attrs.update(CAMERA_ATTRS)
        # The page's <datalist> of my stations: pick instead of typing the code.
        self.fields["station_code"].widget.attrs["list"] = "my-stations"
