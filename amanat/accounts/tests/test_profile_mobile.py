"""A user gives the mobile number election-day alerts reach them at, on their own
profile page (operations.watch sends to it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.models import Profile
from amanat.accounts.testing import sign_in
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db


def test_the_alert_mobile_is_set_on_the_profile(personas: Any) -> None:
    client = sign_in(Client(), personas.gharchak_governor)
    page = client.get(reverse("accounts_profile")).content.decode()
    assert 'data-testid="alert-contact-form"' in page
    refused = client.post(reverse("accounts_profile"), {"mobile": "12345"})
    assert refused.status_code == 400
    assert 'data-testid="error-mobile"' in refused.content.decode()
    assert not Profile.objects.filter(user=personas.gharchak_governor).exclude(mobile="").exists()
    assert client.post(reverse("accounts_profile"), {"mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷"}).status_code == 302
    assert Profile.objects.get(user=personas.gharchak_governor).mobile == "09121234567"
    event = Event.objects.get(action="profile.mobile")
    assert event.after == {"mobile": "0912****567"}  # the audit log masks phone numbers
    assert 'value="09121234567"' in client.get(reverse("accounts_profile")).content.decode()
    # Emptied: e-mail only.
    client.post(reverse("accounts_profile"), {"mobile": ""})
    assert Profile.objects.get(user=personas.gharchak_governor).mobile == ""
