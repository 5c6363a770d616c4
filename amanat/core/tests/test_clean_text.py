"""Free text is cleaned at every interface: every form's text fields, the API's parser.

The cleaning itself is ``lib.persian.clean_text`` (tested in lib/tests/test_persian.py);
what is checked here is that no text input escapes it, now and when fields are added.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

from django import forms

import amanat
from amanat.core.forms import CleanCharField, DecimalNumberField, DecimalTextField

# Text fields that may stay plain, each with its reason.
PLAIN_TEXT_FIELDS: dict[str, str] = {}


def _form_classes() -> Iterator[type[forms.BaseForm]]:
    """Every form class defined in the project (tests and migrations aside)."""
    for module in pkgutil.walk_packages(amanat.__path__, "amanat."):
        if ".tests" in module.name or ".migrations" in module.name:
            continue
        if module.name.endswith((".wsgi", ".cli", ".verify")):
            continue
        importlib.import_module(module.name)
    seen: set[type[forms.BaseForm]] = set()
    todo: list[type[forms.BaseForm]] = [forms.BaseForm]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                todo.append(sub)
    yield from (c for c in seen if c.__module__.startswith("amanat.")
                and ".tests" not in c.__module__)


def test_every_text_field_of_every_form_is_cleaned() -> None:
    plain = []
    classes = list(_form_classes())
    assert len(classes) > 20  # the walk found the project's forms
    for form_class in classes:
        for name, field in form_class.base_fields.items():
            label = f"{form_class.__module__}.{form_class.__qualname__}.{name}"
            if (isinstance(field, forms.CharField) and not isinstance(field, CleanCharField)
                    and label not in PLAIN_TEXT_FIELDS):
                plain.append(label)
    assert not plain, f"use amanat.core.forms.CleanCharField (or clean_formfield): {plain}"


def test_clean_char_field_keeps_lines_only_in_a_textarea() -> None:
    class NoteForm(forms.Form):
        title = CleanCharField(max_length=5)
        body = CleanCharField(widget=forms.Textarea, required=False)

    form = NoteForm({"title": "\u202eab\u200bc\u202c", "body": "یک\u200f\r\nدو\u2066"})
    assert form.is_valid(), form.errors  # the length limit applies to the cleaned text
    assert form.cleaned_data == {"title": "abc", "body": "یک\nدو"}
    assert not NoteForm({"title": "a\x00b"}).is_valid()  # NUL is refused, not dropped


def test_every_number_with_a_fraction_reads_the_persian_decimal_separator() -> None:
    """User review 2026-12: the atlas weights page shows «۳٫۵۰» and refused «۳٫۵» typed
    back («enter a number»). Every fractional number field of every form (the catalogue's
    weights are added when the form is made) is a DecimalTextField."""
    from amanat.atlas.forms import CatalogueForm

    plain = []
    fields = [(f"{c.__module__}.{c.__qualname__}.{n}", f)
              for c in _form_classes() for n, f in c.base_fields.items()]
    fields += [(f"CatalogueForm.{n}", f) for n, f in CatalogueForm().fields.items()]
    for label, field in fields:
        if isinstance(field, forms.FloatField | forms.DecimalField) and not isinstance(
                field, DecimalTextField | DecimalNumberField):
            plain.append(label)
    assert not plain, f"use amanat.core.forms.DecimalTextField: {plain}"


def test_decimal_text_field_reads_persian_digits_and_separators() -> None:
    field = DecimalTextField(min_value=0, max_value=100)
    assert field.clean("۳٫۵") == 3.5
    assert field.clean(" ۱۲٫۲۵ ") == 12.25
    assert field.clean("۳.۵") == 3.5
    assert field.clean("2.5") == 2.5
    try:
        field.clean("۳٫۵٫۱")
    except forms.ValidationError:
        pass
    else:
        raise AssertionError("two separators are not a number")
    assert str(DecimalNumberField(max_digits=9, decimal_places=6).clean("۳۵٫۶۸۹۲")) == "35.6892"
