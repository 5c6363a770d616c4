"""The posts at a polling station: one vocabulary for staffing (who fills them) and
training (which course a post requires)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StationPost(models.TextChoices):
    REPRESENTATIVE = "representative", _("Governor's representative")
    MEMBER = "member", _("Station member")
    INSPECTOR = "inspector", _("Inspector")
    POLICE = "police", _("Police officer")


# Members per station unless the contest sets its own number.
DEFAULT_MEMBERS_PER_STATION = 5
