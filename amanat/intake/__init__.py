"""The election-day report intake's hot path, fenced: what exists only for its
throughput (README.md).  Nothing outside this package imports it but ``amanat.api`` and
``amanat.wsgi``."""
