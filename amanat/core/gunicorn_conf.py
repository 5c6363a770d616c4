"""gunicorn's settings for ``amanat serve`` (``-c python:amanat.core.gunicorn_conf``).

Server hooks and the access log's logger (query strings redacted, ``core.logredact``):
the rest of the configuration is on serve's command line.
"""

from __future__ import annotations

from typing import Any

from gunicorn import glogging

from amanat.core import gcthread, logredact


def post_worker_init(worker: Any) -> None:
    """The worker has loaded the application; its request threads start after this.
    Cyclic garbage collection moves to a thread of its own (amanat/core/gcthread.py)."""
    gcthread.start()


class RedactingLogger(glogging.Logger):
    """gunicorn's logger, with the access log's query strings redacted
    (``core.logredact``): the Kannel secret and senders' numbers never reach it."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any
              ) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        path = environ.get("PATH_INFO") or ""
        atoms["r"] = logredact.redact_request_line(str(atoms.get("r") or ""))
        atoms["q"] = logredact.redact_query(path, str(atoms.get("q") or ""))
        atoms["f"] = logredact.redact_uri(str(atoms.get("f") or "-"))
        for name in ("{raw_uri}e", "{request_uri}e"):
            if atoms.get(name):
                atoms[name] = logredact.redact_uri(str(atoms[name]))
        if atoms.get("{query_string}e"):
            atoms["{query_string}e"] = logredact.redact_query(path, str(atoms["{query_string}e"]))
        if atoms.get("{referer}i"):
            atoms["{referer}i"] = logredact.redact_uri(str(atoms["{referer}i"]))
        return atoms


# gunicorn reads this setting from the configuration module.
logger_class = "amanat.core.gunicorn_conf.RedactingLogger"
