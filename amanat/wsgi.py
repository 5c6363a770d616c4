"""WSGI entry point for gunicorn and other servers.

``/api/`` runs through its own middleware chain (amanat.intake.handlers).
"""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
django.setup(set_prefix=False)

from amanat.intake.handlers import PathDispatch  # noqa: E402  (needs the apps set up)

application = PathDispatch()
