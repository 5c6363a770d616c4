"""Form rendering and form fields shared by all apps: the project's form renderer (Bootstrap
classes and templates for every form), free text cleaned of invisible characters, and Jalali
dates typed and shown the way people write them."""

from __future__ import annotations

import copy
import datetime
import html
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.renderers import DjangoTemplates
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import ALL, Digits, RuleError
from amanat.core.templatetags.persian import localize_digits, persian_active
from amanat.lib.jalali import JalaliDateError, format_jalali, jalali_month_name, parse_jalali_date
from amanat.lib.limits import parse_id
from amanat.lib.persian import clean_text

# --- rendering ---------------------------------------------------------------------------
#
# Every form is drawn by ``{{ form }}``: the renderer below (settings.FORM_RENDERER) picks
# the templates in core/templates/forms/ and a bound field that gives each widget its
# Bootstrap class, so no template writes a label/field/errors loop and no form sets classes
# by hand.  docs/where-things-go.md says which layout to choose.

FORM_TEMPLATE = "forms/div.html"  # fields one under another
GRID_TEMPLATE = "forms/grid.html"  # long forms: fields side by side in columns
FILTERS_TEMPLATE = "forms/filters.html"  # a GET filter bar: small widgets in one row
MULTIPLE_INPUT_TEMPLATE = "forms/widgets/multiple_input.html"  # radio and checkbox groups

# Values typed in Latin script whatever the page's direction.
_LTR_INPUT_TYPES = frozenset({"password", "email", "url", "number", "tel"})
_LTR_INPUT_MODES = frozenset({"numeric", "decimal"})
_LTR_AUTOCOMPLETE = frozenset({"username", "current-password", "new-password",
                               "one-time-code", "email", "tel"})


def widget_css_class(widget: forms.Widget, *, compact: bool = False) -> str:
    """The Bootstrap 5 class of a widget: what makes every form look the same."""
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input"
    if isinstance(widget, forms.Select):  # SelectMultiple too
        return "form-select form-select-sm" if compact else "form-select"
    return "form-control form-control-sm" if compact else "form-control"


class BootstrapBoundField(forms.BoundField):
    """A bound field whose widget renders with its Bootstrap class, ``is-invalid`` when
    refused, and ``dir="ltr"`` for values typed in Latin script (passwords, usernames,
    numbers).  Django adds ``aria-invalid`` and ``aria-describedby`` (help text and the
    ``<id>_error`` element that forms/field.html writes)."""

    def as_widget(self, widget: forms.Widget | None = None, attrs: dict[str, Any] | None = None,
                  only_initial: bool = False) -> Any:
        own = widget or self.field.widget
        if isinstance(own, forms.NumberInput):
            decimal = not isinstance(self.field, forms.IntegerField)
            widget = NumberTextInput(own.attrs, decimal=decimal)
        elif isinstance(own, forms.RadioSelect | forms.CheckboxSelectMultiple):
            # The inputs' class only on the inputs, not on the group's <div> as Django's
            # template wrote it (the group became a 1em checkbox drawn over its answers).
            widget = copy.copy(own)
            widget.template_name = MULTIPLE_INPUT_TEMPLATE
        return super().as_widget(widget, attrs, only_initial)

    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: forms.Widget | None = None
    ) -> dict[str, Any]:
        widget = widget or self.field.widget
        built: dict[str, Any] = super().build_widget_attrs(attrs, widget)
        if widget.is_hidden:
            return built
        own = f"{widget.attrs.get('class', '')} {built.get('class', '')}".split()
        css = widget_css_class(widget, compact=getattr(self.form, "compact", False)).split()
        if self.errors:
            css.append("is-invalid")
        built["class"] = " ".join(dict.fromkeys(css + own))
        if "dir" not in widget.attrs and self._typed_in_latin(widget):
            built["dir"] = "ltr"
        return built

    @staticmethod
    def _typed_in_latin(widget: forms.Widget) -> bool:
        return (getattr(widget, "input_type", None) in _LTR_INPUT_TYPES
                or widget.attrs.get("inputmode") in _LTR_INPUT_MODES
                or widget.attrs.get("autocomplete") in _LTR_AUTOCOMPLETE)


class NumberTextInput(forms.TextInput):
    """A number typed as text: a browser's ``type=number`` box drops Persian digits
    («۱۲۰۰» becomes empty), while the fields' own parsing (Python's int, float and
    Decimal) reads them.  ``inputmode`` still brings up the phone's digit keypad; the
    field's validators keep its limits."""

    def __init__(self, attrs: dict[str, Any] | None = None, *, decimal: bool = False) -> None:
        keep = {k: v for k, v in (attrs or {}).items() if k not in ("min", "max", "step")}
        super().__init__({"inputmode": "decimal" if decimal else "numeric", **keep})

    def format_value(self, value: Any) -> str | None:
        text: str | None = super().format_value(value)
        return localize_digits(text) if text else text


class LongSelect(forms.Select):
    """A select of many options (the 448 counties) drawn without a template per option.

    Django's ``Select`` includes ``select_option.html`` (and ``attrs.html``) once per
    option: for the county list that was most of a page's CPU. The options here are
    joined in Python into the same markup; the ``<select>`` itself is Django's template.
    """

    template_name = "forms/long_select.html"

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None
                    ) -> dict[str, Any]:
        # Not ChoiceWidget.get_context: its ``optgroups`` builds a dict per option (and
        # copies the attrs for each), which the markup below does not need.
        context = forms.Widget.get_context(self, name, value, attrs)
        if self.allow_multiple_selected:
            context["widget"]["attrs"]["multiple"] = True
        wanted = set(context["widget"]["value"])
        parts: list[str] = []
        chosen = False

        def option(option_value: Any, label: Any) -> str:
            nonlocal chosen
            text = "" if option_value is None else str(option_value)
            selected = (not chosen or self.allow_multiple_selected) and text in wanted
            chosen = chosen or selected
            shown = label.__html__() if hasattr(label, "__html__") else html.escape(str(label))
            return (f'<option value="{html.escape(text)}"{" selected" if selected else ""}>'
                    f"{shown}</option>")

        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                parts.append(format_html('<optgroup label="{}">', option_value))
                parts.extend(option(v, lab) for v, lab in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(option_value, label))
        context["widget"]["options_html"] = mark_safe("\n  ".join(parts))  # noqa: S308
        return context


class _ListedChoiceIterator(forms.models.ModelChoiceIterator):
    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # the field's own queryset: read once, then cached
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A model choice that is always drawn (a filter form's select): the options and the
    chosen value come from one query, so choosing a value costs no query of its own and
    a filtered page as many queries as an unfiltered one."""

    iterator = _ListedChoiceIterator

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        queryset = self.queryset
        assert queryset is not None  # set by the form before it is bound
        if isinstance(value, queryset.model):
            value = getattr(value, self.to_field_name or "pk")
        key = self.to_field_name or "pk"
        for obj in queryset:
            if str(getattr(obj, key)) == str(value):
                return obj
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                              params={"value": value})


class FormRenderer(DjangoTemplates):
    """settings.FORM_RENDERER: the project's form and field-group templates."""

    form_template_name = FORM_TEMPLATE
    field_template_name = "forms/field.html"
    bound_field_class = BootstrapBoundField


class FilterForm(forms.Form):
    """Base of the GET filter bars above lists: small widgets side by side.

    The page writes ``<form class="row g-2 align-items-end">{{ form }}`` and its buttons
    in ``<div class="col-auto">``; forms/filters.html writes one column per field.
    """

    template_name = FILTERS_TEMPLATE
    compact = True


class CleanCharField(forms.CharField):
    """A text field whose value is cleaned by ``lib.persian.clean_text``: no bidi
    controls, zero-width or other invisible characters reach a service, ZWNJ tidied.

    Every text field of the project's forms is one (or comes from ``clean_formfield``);
    ``core/tests/test_forms.py`` walks all forms and fails on a plain ``CharField``.
    A ``Textarea`` keeps its line breaks; a one-line box gets one line.  Length limits
    apply to the cleaned text.
    """

    def to_python(self, value: Any) -> str | None:
        text: str | None = super().to_python(value)
        if not text:
            return text
        return clean_text(text, multiline=isinstance(self.widget, forms.Textarea))


def _latin_number(value: Any) -> Any:
    """A typed number with the Persian decimal separator «٫» (U+066B) read as a full
    stop and the Persian thousands separator «٬» dropped; Persian digits are read by
    Python's ``float`` and ``Decimal`` themselves."""
    if isinstance(value, str):
        return value.strip().replace("\u066b", ".").replace("\u066c", "")
    return value


class DecimalTextField(forms.FloatField):
    """A number with a fraction as people type it on a Persian page: Persian or Latin
    digits, and the Persian decimal separator «٫» (what the pages show: «۳٫۵۰») as well
    as a full stop. Python's ``float`` reads Persian digits but refuses «٫», so a plain
    ``FloatField`` answered «enter a number» to a value copied from the page (user review
    2026-12: the atlas weights). ``core/tests/test_clean_text.py`` fails on a plain
    ``FloatField`` or ``DecimalField`` in a form."""

    def to_python(self, value: Any) -> Any:  # float or None (the stubs say int)
        return super().to_python(_latin_number(value))


class DecimalNumberField(forms.DecimalField):
    """``DecimalTextField`` for a model's ``DecimalField`` (``clean_formfield``)."""

    def to_python(self, value: Any) -> Any:
        return super().to_python(_latin_number(value))


def text_limit(model: type[models.Model], name: str) -> int:
    """The ``max_length`` of a model's text column, for a plain form's field: the form
    refuses what the column's limit refuses (``core/tests/test_text_limits.py``)."""
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field) and field.max_length is not None, (
        f"{model.__name__}.{name} has no max_length"
    )
    return field.max_length


def clean_formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """``formfield_callback`` for model forms: text columns get a ``CleanCharField``,
    numbers with a fraction a field that reads «٫»."""
    if isinstance(db_field, models.CharField | models.TextField) and not db_field.choices:
        kwargs.setdefault("form_class", CleanCharField)
    elif isinstance(db_field, models.DecimalField):
        kwargs.setdefault("form_class", DecimalNumberField)
    elif isinstance(db_field, models.FloatField):
        kwargs.setdefault("form_class", DecimalTextField)
    return db_field.formfield(**kwargs)


# The month's name in the reader's language, looked up when the message is shown.
_month_name = lazy(
    lambda month: jalali_month_name(month, lang="fa" if persian_active() else "en"), str)


def jalali_problem(error: JalaliDateError, *, field: str = ALL) -> RuleError:
    """Why a date was refused, as a rule error translated when it is shown: the one way
    a ``lib.jalali`` refusal reaches people (forms, the API, imports, services)."""
    numbers = {"year": error.year, "month": error.month, "day": error.day}
    if error.reason == "day" and error.month is not None:
        template = _("day %(day)s does not exist in month %(month)s (%(month_name)s) of "
                     "%(year)s")
        return RuleError(template, code="day", field=field, month_name=_month_name(error.month),
                         **numbers)
    if error.reason in ("era", "gregorian", "iso", "format"):
        low, _sep, high = error.hint.partition("-")
        return RuleError(_REASONS[error.reason], code=error.reason, field=field,
                         text=Digits(error.text), jalali=Digits(error.hint), low=Digits(low),
                         high=Digits(high), **numbers)
    return RuleError(_REASONS[error.reason], code=error.reason, field=field, **numbers)


_REASONS = {
    "month": _("month %(month)s does not exist; months run from 1 to 12"),
    "year": _("year %(year)s is outside the supported range"),
    "era": _("year %(year)s is too far from today; enter a year from %(low)s to %(high)s"),
    "gregorian": _("this looks like a Gregorian date; as a Jalali date it is "
             "%(jalali)s"),
    "iso": _("“%(text)s” is not a valid date (YYYY-MM-DD, such as 2026-02-19)"),
    "format": _("“%(text)s” is not a date in year/month/day form, such as 1404/10/21"),
    "day": _("that day does not exist in the Jalali calendar"),
}


def jalali_error_message(error: JalaliDateError) -> str:
    """The message of a date field that refused what was typed, in the active language."""
    detail: RuleError | str = jalali_problem(error)
    if error.reason == "format":
        detail = gettext("write the year, month and day separated by a slash")
    return gettext("Enter a valid Jalali date such as 1404/10/21: %(detail)s.") % {
        "detail": detail
    }


class JalaliDateInput(forms.TextInput):
    """A text box showing its date as Jalali, with Persian digits in Persian."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        # Dates read left to right even inside right-to-left text: 1404/10/21.
        defaults = {"dir": "ltr", "autocomplete": "off", "size": "10"}
        super().__init__(defaults | (attrs or {}))

    def format_value(self, value: Any) -> str | None:
        if isinstance(value, datetime.date):
            return format_jalali(value, persian_digits=persian_active())
        # Anything else is what the user typed; show it back unchanged so they can fix it.
        result: str | None = super().format_value(value)
        return result

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context(name, value, attrs)
        # The placeholder is today's date, in the language at render time: an example in
        # the current year (a fixed one soon reads as a date in the past).
        today = format_jalali(timezone.localdate(), persian_digits=persian_active())
        context["widget"]["attrs"].setdefault("placeholder", today)
        return context


class JalaliDateField(forms.Field):
    """Takes ``1404/10/21``, ``۱۴۰۴-۱۰-۲۱`` and the like; cleans to ``datetime.date``."""

    widget = JalaliDateInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Every date field says how to write a date, unless the form says more.
        kwargs.setdefault("help_text", _("Jalali year/month/day, e.g. 1404/11/30"))
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_jalali_date(str(value))
        except JalaliDateError as error:
            raise ValidationError(jalali_error_message(error), code=error.reason) from error


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField whose values must be ids (``lib.limits.parse_id``).

    Django checks each value alone with an exact lookup (which tolerates any integer)
    but then fetches them with ``pk__in``, which the database driver fails on for a
    number past 64 bits: a crafted form would answer 500 instead of "not a valid choice".
    """

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for pk in value:
                if pk not in self.empty_values and parse_id(pk) is None:
                    raise ValidationError(self.error_messages["invalid_pk_value"],
                                          code="invalid_pk_value", params={"pk": pk})
        return super().clean(value)
