"""Settings for Amanat, read from environment variables.

SQLite is the default database; ``DATABASE_URL`` switches to PostgreSQL.
``AMANAT_ENV=production`` turns on the hardened cookie, HSTS and HTTPS settings.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from datetime import timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from amanat.lib.files import PRIVATE_DIR, PRIVATE_FILE, PRIVATE_UMASK, create_private, private_dir

# Before anything is created: the database and its -wal/-shm, the generated secret key,
# the audit key and its state, evidence and other uploads, exports and logs are for this
# account only (files 0600, folders 0700).  Every entry point (amanat, manage.py, the
# WSGI server's workers, tests) loads these settings first, so this one line covers them.
os.umask(PRIVATE_UMASK)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("AMANAT_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key() -> str:
    """Take the key from the environment, or keep a generated one under var/.

    Production must set AMANAT_SECRET_KEY; a local demo gets a stable random key so that
    sessions survive restarts without anyone inventing a weak one.
    """
    key = os.environ.get("AMANAT_SECRET_KEY")
    if key:
        return key
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        # Created whole and 0600 in one step; a process starting at the same moment
        # keeps the key of whichever wrote first.
        with contextlib.suppress(FileExistsError):
            create_private(key_file, secrets.token_urlsafe(64).encode("ascii"))
    return key_file.read_text().strip()


def _trusted_proxies() -> list[str]:
    """Addresses or networks (CIDR) of the reverse proxies whose X-Forwarded-For is
    believed (amanat/core/clientaddr.py); a typo must stop the start, not trust nobody."""
    entries = env_list("AMANAT_TRUSTED_PROXIES", "")
    for entry in entries:
        try:
            ip_network(entry, strict=False)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"AMANAT_TRUSTED_PROXIES: {entry!r} is not an address or network"
            ) from error
    return entries


PRODUCTION = os.environ.get("AMANAT_ENV", "development") == "production"
DEBUG = env_bool("AMANAT_DEBUG", default=False)
SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("AMANAT_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("AMANAT_CSRF_TRUSTED_ORIGINS")
# The reverse proxies in front (docs/deployment.md). None by default: `amanat serve`
# answers on 127.0.0.1, so trusting the loopback would let every local client (or a
# tunnel) name its own address in X-Forwarded-For.
AMANAT_TRUSTED_PROXIES = _trusted_proxies()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "amanat.core",
    "amanat.files",
    "amanat.geo",
    "amanat.elections",
    "amanat.audit",
    "amanat.stations",
    "amanat.boards",
    "amanat.candidates",
    "amanat.training",
    "amanat.staffing",
    "amanat.incidents",
    "amanat.atlas",
    "amanat.councils",
    "amanat.plans",
    "amanat.operations",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "amanat.accounts",
    "amanat.site",
    "amanat.portal",
]

MIDDLEWARE = [
    # Proxy headers (X-Forwarded-*) count only from AMANAT_TRUSTED_PROXIES: dropped
    # from anyone else before the security middleware reads X-Forwarded-Proto.
    "amanat.core.clientaddr.UntrustedProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Persian unless the user chose English (not the browser's Accept-Language).
    "amanat.accounts.middleware.PersianFirstLocaleMiddleware",
    # Under /api/: Django's own HTML error pages (405, 400) become the API's error body.
    "amanat.core.api_errors.ApiErrorBodyMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A query string holding NUL is a 400 (PostgreSQL cannot compare text with it).
    "amanat.core.querystring.NulQueryStringMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Accounts: idle/absolute session end and disabled users, then login required
    # everywhere except @login_not_required views and the token-authenticated API,
    # then the second factor for national/provincial roles and staff.
    "amanat.accounts.middleware.SessionLifetimeMiddleware",
    "amanat.accounts.middleware.AmanatLoginRequiredMiddleware",
    "amanat.accounts.middleware.SecondFactorMiddleware",
    # Answers to a signed-in user: Cache-Control: private, no-store.
    "amanat.accounts.middleware.PrivatePagesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After a write, this user reads the primary for a while (amanat/core/replica.py).
    "amanat.core.replica.RecentWriteMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes wants to be last: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# The API's own chain (amanat/intake/handlers.py, served by amanat.wsgi): bearer tokens
# and JSON only, so no sessions, CSRF, sign-in, second factor, messages, lockouts,
# static files or CSP.
API_MIDDLEWARE = [
    "amanat.core.clientaddr.UntrustedProxyHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "amanat.core.api_errors.ApiErrorBodyMiddleware",
    "django.middleware.common.CommonMiddleware",
    "amanat.intake.handlers.AnonymousUntilTokenMiddleware",
    "amanat.accounts.middleware.PrivatePagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "amanat.urls"
WSGI_APPLICATION = "amanat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "amanat.accounts.context_processors.navigation",
                "amanat.core.replica.context",
            ],
            "builtins": ["amanat.core.templatetags.persian"],
        },
    }
]

# Every form renders through the project's templates and Bootstrap classes (core/forms.py).
FORM_RENDERER = "amanat.core.forms.FormRenderer"


def _split_hosts(url: str) -> tuple[str, list[str], list[str]]:
    """libpq's host list (``postgres://u@h1:p1,h2:p2/db``), which dj_database_url cannot
    parse: the URL with the first host only, and every host and port in order."""
    parts = urlsplit(url)
    userinfo, at, hostlist = parts.netloc.rpartition("@")
    hosts, ports = [], []
    for entry in hostlist.split(","):
        host, colon, port = entry.rpartition(":")
        if not colon or entry.endswith("]"):
            host, port = entry, ""  # no port (a name, or a bracketed IPv6 address)
        hosts.append(host)
        ports.append(port)
    first = f"{userinfo}{at}{hosts[0]}" + (f":{ports[0]}" if ports[0] else "")
    return parts._replace(netloc=first).geturl(), hosts, ports


def _postgres(url: str) -> dict[str, Any]:
    """A PostgreSQL database from its URL (docs/deployment.md, "Connections").

    * Several hosts (``postgres://amanat@db1:5432,db2:5432/amanat?target_session_attrs=
      read-write``): libpq tries them in order and keeps the first that accepts writes,
      so after a failover new connections find the promoted standby by themselves.
    * ``AMANAT_DB_POOL`` (connections per server process; 0, the default: none):
      Django's psycopg pool instead of one kept connection per thread
      (docs/decisions/0005-connection-pooling.md).
    * ``AMANAT_DB_PGBOUNCER=1``: the URL is a pgbouncer in transaction mode; no
      server-side cursors (a cursor cannot outlive the transaction that lent the
      server connection).  Prepared statements are off already (Django's default).
    * ``AMANAT_DB_CONNECT_TIMEOUT`` seconds per host tried (default 5): a host that is
      gone, not refusing, must not hold a request until the TCP timeout.
    """
    first, hosts, ports = _split_hosts(url)
    config: dict[str, Any] = dict(
        dj_database_url.parse(first, conn_max_age=60, conn_health_checks=True))
    # Django's backend with a health check that asks the server only when the socket
    # says something happened (amanat/core/postgresql/base.py).
    config["ENGINE"] = "amanat.core.postgresql"
    if len(hosts) > 1:
        config["HOST"] = ",".join(hosts)
        config["PORT"] = ",".join(ports) if any(ports) else ""
    options: dict[str, Any] = config.setdefault("OPTIONS", {})
    options.setdefault("connect_timeout", int(os.environ.get("AMANAT_DB_CONNECT_TIMEOUT", "5")))
    # A database host that vanishes (power, kernel, a network cut) ends no connection:
    # a query sent on one waited for TCP's ~15 minutes of retransmissions, with every
    # request thread and the group-commit writer behind it, while the standby was
    # promoted (attack review 2, finding 2).  Sent data unacknowledged for this many
    # seconds fails the connection (a 503; the next one finds the promoted host), and
    # keepalives end an idle kept one, which the health check then replaces.  A slow
    # query or a commit waiting for the standby is not affected: the server's
    # kernel acknowledges what was sent.  0: TCP's defaults.
    tcp_timeout = int(os.environ.get("AMANAT_DB_TCP_TIMEOUT", "10") or 0)
    if tcp_timeout > 0:
        options.setdefault("tcp_user_timeout", tcp_timeout * 1000)
        options.setdefault("keepalives", 1)
        options.setdefault("keepalives_idle", tcp_timeout)
        options.setdefault("keepalives_interval", max(1, tcp_timeout // 3))
        options.setdefault("keepalives_count", 3)
    pool = int(os.environ.get("AMANAT_DB_POOL", "0") or 0)
    if pool > 0:
        # Django's pool keeps and checks the connections itself: none kept per thread.
        config["CONN_MAX_AGE"] = 0
        options["pool"] = {
            "min_size": min(pool, int(os.environ.get("AMANAT_DB_POOL_MIN", "2"))),
            "max_size": pool,
            # A request that finds every connection lent waits this long, then fails
            # (503, amanat/core/outage.py): pool saturation shows as a slow pool.
            "timeout": float(os.environ.get("AMANAT_DB_POOL_TIMEOUT", "10")),
            "max_idle": 300,
            "name": "amanat",
        }
    if env_bool("AMANAT_DB_PGBOUNCER"):
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    else:
        # The intake's hot statements (amanat/intake/sql.py) run on server-binding
        # cursors: psycopg prepares each once it has run 5 times on a connection.
        # Django's own cursors bind on the client and never prepare.  Not behind
        # pgbouncer 1.18, whose transaction mode cannot keep prepared statements.
        options.setdefault("prepare_threshold", 5)
    return config


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        return _postgres(url)
    path = Path(os.environ.get("AMANAT_SQLITE_PATH", VAR_DIR / "amanat.sqlite3"))
    private_dir(path.parent)
    return {
        # Django's SQLite backend, closing the cursor of a failed BEGIN
        # (amanat/core/sqlite/base.py says why).
        "ENGINE": "amanat.core.sqlite",
        "NAME": path,
        # Keep each thread's connection: opening one (PRAGMAs, Django's SQL functions)
        # cost more CPU than the whole report insert (docs/intake-load.md).
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": True,
        # Tests: an in-memory database, as Django gives its own SQLite engine.  Said
        # explicitly because pytest-django recognises that default only by the engine's
        # name: for ours it would name each xdist worker's database "test_<path>_gwN".
        "TEST": {"NAME": ":memory:"},
        "OPTIONS": {
            # WAL lets readers run beside the writer; FULL makes a commit durable
            # before it is acknowledged; IMMEDIATE takes the write lock up front so
            # concurrent writers queue on the busy timeout instead of deadlocking.
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=FULL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
            ),
            "transaction_mode": "IMMEDIATE",
            # How long a writer waits for the lock before "database is locked" (503).
            "timeout": float(os.environ.get("AMANAT_SQLITE_TIMEOUT", "20")),
        },
    }


DATABASES = {"default": _database()}
# A streaming replica for the pages that only read (amanat/core/replica.py): reads there
# are at most AMANAT_REPLICA_MAX_LAG seconds old, and a user who wrote reads the primary
# for AMANAT_REPLICA_STICKY_SECONDS.
if os.environ.get("AMANAT_REPLICA_URL") and "postgres" in DATABASES["default"]["ENGINE"]:
    DATABASES["replica"] = _postgres(os.environ["AMANAT_REPLICA_URL"])
    # Tests: the replica serves the primary's test database (it replicates the cluster).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["amanat.core.replica.ReplicaRouter"]
AMANAT_REPLICA_MAX_LAG = float(os.environ.get("AMANAT_REPLICA_MAX_LAG", "30"))
AMANAT_REPLICA_STICKY_SECONDS = int(os.environ.get("AMANAT_REPLICA_STICKY_SECONDS", "30"))
# A database that is full, locked or unreachable answers 503 with this Retry-After
# (seconds), and logs one ALARM line per kind per AMANAT_OUTAGE_ALARM_EVERY seconds and
# server process (amanat/core/outage.py, docs/deployment.md).
AMANAT_RETRY_AFTER = int(os.environ.get("AMANAT_RETRY_AFTER", "30"))
# Task workers (amanat task_worker) write a sign of life this often; the tasks a worker
# had claimed go back to the queue once it has given none for the second figure
# (review 2026-12, finding 6: a worker killed mid-task left its task RUNNING for ever).
AMANAT_TASK_BEAT_SECONDS = float(os.environ.get("AMANAT_TASK_BEAT_SECONDS", "10"))
AMANAT_TASK_WORKER_DEAD_SECONDS = float(os.environ.get("AMANAT_TASK_WORKER_DEAD_SECONDS", "90"))
AMANAT_OUTAGE_ALARM_EVERY = float(os.environ.get("AMANAT_OUTAGE_ALARM_EVERY", "60"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2id first; tuned for about 30 ms a hash (see docs/decisions/0001-password-hashing.md).
PASSWORD_HASHERS = [
    "amanat.core.hashers.TunedArgon2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "amanat.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "amanat.accounts.passwords.CommonPasswordValidator"},
    {"NAME": "amanat.accounts.passwords.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", "فارسی"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("AMANAT_STATIC_ROOT", VAR_DIR / "static"))
# WhiteNoise serves from finders too (no collectstatic needed for the demo) but expects
# the folder to exist.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
NODE_MODULES = Path(os.environ.get("AMANAT_NODE_MODULES", PROJECT_DIR / "node_modules"))
# Front-end packages come from the npm registry (package-lock.json); only their built
# files are exposed, under vendor/.
STATICFILES_DIRS = [
    BASE_DIR / "static",  # the project's own css/js, under amanat/
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/vazirmatn", NODE_MODULES / "vazirmatn"),
    ("vendor/leaflet", NODE_MODULES / "leaflet" / "dist"),
    # The field app (amanat/portal): the IndexedDB queue and the service worker's modules.
    ("vendor/dexie", NODE_MODULES / "dexie" / "dist"),
    *[(f"vendor/{name}", NODE_MODULES / name / "build") for name in (
        "workbox-sw", "workbox-core", "workbox-routing", "workbox-strategies",
        "workbox-precaching", "workbox-expiration")],
]
# Uploaded and kept files (evidence, candidates' documents, waiting station imports):
# the local folder MEDIA_ROOT on one box; AMANAT_FILE_STORAGE=database keeps them in the
# database, readable from every app server (docs/decisions/0006-files-in-postgresql.md).
FILE_STORAGES = {
    "filesystem": "django.core.files.storage.FileSystemStorage",
    "database": "amanat.files.storage.DatabaseStorage",
}
_file_storage = os.environ.get("AMANAT_FILE_STORAGE", "filesystem")
if _file_storage not in FILE_STORAGES:
    raise ImproperlyConfigured(
        f"AMANAT_FILE_STORAGE={_file_storage!r}: expected one of {', '.join(FILE_STORAGES)}")
STORAGES = {
    "default": {"BACKEND": FILE_STORAGES[_file_storage]},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(os.environ.get("AMANAT_MEDIA_ROOT", VAR_DIR / "media"))
# Django chmods every stored upload (evidence) to these, whatever the umask says.
FILE_UPLOAD_PERMISSIONS = PRIVATE_FILE
FILE_UPLOAD_DIRECTORY_PERMISSIONS = PRIVATE_DIR

TASKS = {
    "default": {
        "BACKEND": os.environ.get("AMANAT_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Ed25519 key that signs audit checkpoints; kept outside the database on purpose.
AMANAT_AUDIT_KEY = Path(os.environ.get("AMANAT_AUDIT_KEY", VAR_DIR / "audit_ed25519.pem"))

# Map tiles: a URL template for base tiles; empty means the plain background only.
AMANAT_TILE_URL = os.environ.get("AMANAT_TILE_URL", "")
AMANAT_TILE_ATTRIBUTION = os.environ.get("AMANAT_TILE_ATTRIBUTION", "")

# The address people open Amanat at (https://amanat.example.ir, no path): the links in
# the e-mails and SMS that point officials at a page (core.notify.public_url).  Empty:
# those messages go without a link.
AMANAT_PUBLIC_URL = os.environ.get("AMANAT_PUBLIC_URL", "").strip().rstrip("/")
if AMANAT_PUBLIC_URL and not AMANAT_PUBLIC_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("AMANAT_PUBLIC_URL must start with https:// (or http://)")

# Shared secret of the SMS gateway: it signs each webhook body with HMAC-SHA256
# (amanat/incidents/sms.py).  Empty refuses every SMS webhook call.
AMANAT_SMS_SECRET = os.environ.get("AMANAT_SMS_SECRET", "")
# Outgoing SMS (one-time codes): the backend class (amanat/core/notify.py).
AMANAT_SMS_BACKEND = os.environ.get("AMANAT_SMS_BACKEND", "amanat.core.notify.LogBackend")
# Kannel (docs/sms.md): outgoing SMS through smsbox's sendsms interface ...
AMANAT_KANNEL_SENDSMS_URL = os.environ.get("AMANAT_KANNEL_SENDSMS_URL", "")
AMANAT_KANNEL_USER = os.environ.get("AMANAT_KANNEL_USER", "")
AMANAT_KANNEL_PASSWORD = os.environ.get("AMANAT_KANNEL_PASSWORD", "")
AMANAT_KANNEL_FROM = os.environ.get("AMANAT_KANNEL_FROM", "")
AMANAT_KANNEL_TIMEOUT = float(os.environ.get("AMANAT_KANNEL_TIMEOUT", "5"))
# ... and incoming SMS through its get-url: the shared secret in the URL (empty refuses
# every call) and the addresses smsbox calls from (amanat/core/sms_api.py).
AMANAT_KANNEL_SECRET = os.environ.get("AMANAT_KANNEL_SECRET", "")
AMANAT_KANNEL_ALLOW = env_list("AMANAT_KANNEL_ALLOW", "127.0.0.1,::1")

# E-mail (officials' alerts, amanat/core/notify.py): Django's SMTP backend when
# EMAIL_HOST is set, the console otherwise (development).
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_TIMEOUT = float(os.environ.get("EMAIL_TIMEOUT", "10"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "amanat@localhost")

SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- accounts: sign-in, sessions, lockout, CSP (amanat/accounts, docs/access-policy.md) ---
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    "amanat.accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AMANAT_API_PREFIX = "/api/"
AMANAT_SESSION_IDLE_SECONDS = 30 * 60
AMANAT_SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
# Election day for field roles (inspectors, police): a session signed in from this hour on
# election day lasts until this hour after midnight (Tehran time), idle or not.
AMANAT_FIELD_DAY_START_HOUR = int(os.environ.get("AMANAT_FIELD_DAY_START_HOUR", "5"))
AMANAT_FIELD_DAY_END_HOUR = int(os.environ.get("AMANAT_FIELD_DAY_END_HOUR", "3"))
OTP_TOTP_ISSUER = "Amanat"
# Five failures for one username from one address lock that pair for 15 minutes, and
# AMANAT_SIGN_IN_ADDRESS_LIMIT failures from one address, whatever the usernames, lock
# the address (amanat/accounts/lockout.py).  The address is the client's, read through
# the trusted proxies (amanat/core/clientaddr.py).
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_VERBOSE = False
AXES_HANDLER = "amanat.accounts.lockout.LockoutHandler"
AXES_CLIENT_IP_CALLABLE = "amanat.accounts.lockout.axes_client_address"
# axes keeps a failed request's form data; wrong current passwords on the password page
# count too, and no password typed there may be kept ("password" is always masked).
AXES_SENSITIVE_PARAMETERS = ["old_password", "new_password1", "new_password2"]
AMANAT_SIGN_IN_ADDRESS_LIMIT = 20
# Failed sign-ins in the audit log: the first per (username, address) per window is an
# event at once, the rest are counted and summed up in one event when the window has
# closed; past the caps, an address's (or everyone's) further failures share one count,
# so a flood cannot grow the log without bound (amanat/accounts/services.py).
AMANAT_FAILURE_AUDIT_WINDOW = timedelta(minutes=15)
AMANAT_FAILURE_AUDIT_PER_ADDRESS = 5
AMANAT_FAILURE_AUDIT_PER_WINDOW = 200


def _tile_origin(url: str) -> list[str]:
    parts = urlsplit(url.replace("{s}", "a"))
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return []
    host = parts.netloc
    if "{s}." in url:
        host = "*." + host.split(".", 1)[1]
    return [f"{parts.scheme}://{host}"]


CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", *_tile_origin(AMANAT_TILE_URL)],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
    SECURE_SSL_REDIRECT = env_bool("AMANAT_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("AMANAT_LOG_LEVEL", "WARNING")},
    # The intake writers' load, once a minute per server process (core/groupcommit.py).
    "loggers": {"amanat.intake.groupcommit": {"level": "INFO"}},
}
