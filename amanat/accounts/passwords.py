"""Password rules with the project's own wording, in the reader's language.

Django's Persian catalog lacks some of its validators' messages (the minimum length's
error is shown in English) and calls a password «رمز عبور» where Amanat says «گذرواژه»;
these subclasses keep Django's checks and give the messages through the project catalog,
numbers in the digits of the active language.
"""

from __future__ import annotations

from django.contrib.auth import password_validation as django_rules
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from amanat.core.templatetags.persian import localize_digits


class MinimumLengthValidator(django_rules.MinimumLengthValidator):
    def _text(self) -> str:
        return ngettext(
            "The password must have at least %(min_length)s character.",
            "The password must have at least %(min_length)s characters.",
            self.min_length,
        ) % {"min_length": localize_digits(str(self.min_length))}

    def validate(self, password: str, user: User | None = None) -> None:
        if len(password) < self.min_length:
            raise ValidationError(
                _("This password is too short.") + " " + self._text(), code="password_too_short")

    def get_help_text(self) -> str:
        return self._text()


class _Reworded:
    """Django's check, refused and described in the project's words."""

    refusal: Promise
    help: Promise
    code: str

    def validate(self, password: str, user: User | None = None) -> None:
        try:
            super().validate(password, user)  # type: ignore[misc]
        except ValidationError:
            raise ValidationError(str(self.refusal), code=self.code) from None

    def get_help_text(self) -> str:
        return str(self.help)


class CommonPasswordValidator(_Reworded, django_rules.CommonPasswordValidator):
    refusal = gettext_lazy("This password is too common.")
    help = gettext_lazy("The password must not be a commonly used one.")
    code = "password_too_common"


class NumericPasswordValidator(_Reworded, django_rules.NumericPasswordValidator):
    refusal = gettext_lazy("This password is entirely numeric.")
    help = gettext_lazy("The password must not be entirely numeric.")
    code = "password_entirely_numeric"
