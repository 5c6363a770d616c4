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
from amanat.core.forms import CleanCharField

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
