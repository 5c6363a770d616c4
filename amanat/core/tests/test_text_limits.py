"""Every text a person or device writes has one length limit, enforced on every path, and
fits an XLSX cell, so no export ever cuts one (issue 11 follow-up: a 443,999-character
route was stored from the edit page and came back from an export cut)."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.db import models

from amanat.core.tests.test_clean_text import _form_classes
from amanat.lib.tabular import MAX_CELL_CHARS

# Form text fields without a max_length, each with its reason.
UNBOUNDED_FORM_FIELDS = {
    # honeypot and signed token: never stored, refused unless exactly as issued
    "amanat.incidents.forms.PublicReportForm.website",
    "amanat.incidents.forms.PublicReportForm.token",
}
# Columns no person or device writes, each with its reason.
SYSTEM_TEXT = {
    "audit.Checkpoint.text",  # written by audit_checkpoint from the chain, signed
}


def test_every_text_column_a_person_writes_has_a_limit_that_fits_a_cell() -> None:
    missing = []
    for model in apps.get_app_configs():
        if not model.name.startswith("amanat."):
            continue
        for cls in model.get_models():
            for field in cls._meta.get_fields():
                if not isinstance(field, models.CharField | models.TextField):
                    continue
                label = f"{cls._meta.app_label}.{cls.__name__}.{field.name}"
                if label in SYSTEM_TEXT:
                    continue
                if field.max_length is None or field.max_length > MAX_CELL_CHARS:
                    missing.append(label)
    assert not missing, f"give these a max_length of at most {MAX_CELL_CHARS}: {missing}"


def test_every_text_field_of_every_form_has_a_limit() -> None:
    missing = []
    for form_class in _form_classes():
        for name, field in form_class.base_fields.items():
            label = f"{form_class.__module__}.{form_class.__qualname__}.{name}"
            if (isinstance(field, forms.CharField) and field.max_length is None
                    and label not in UNBOUNDED_FORM_FIELDS):
                missing.append(label)
    assert not missing, f"give these form fields a max_length: {missing}"
