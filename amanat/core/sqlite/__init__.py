"""Django's SQLite backend with the one cursor it leaves open closed (``base.py``)."""
