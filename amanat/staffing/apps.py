from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "amanat.staffing"
    verbose_name = _("Station staffing")

    def ready(self) -> None:
        # An enrolment in a training session takes the name and mobile from the county's
        # register of people (training cannot import staffing: the layer contract).
        from amanat.staffing.services import training_person_lookup
        from amanat.training.services import person_lookup

        person_lookup.connect(training_person_lookup, dispatch_uid="staffing_person_lookup")
