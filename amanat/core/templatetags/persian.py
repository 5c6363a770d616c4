"""Template filters for Persian display: digits, Jalali dates, normalised text."""

from __future__ import annotations

from django import template

register = template.Library()
