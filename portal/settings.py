"""The portal's one settings module; every deployment value comes from the environment.

With no variables set the portal runs embedded: a SQLite file under var/ and Celery
tasks executed in-process, so it can be tried with Python alone. DATABASE_URL and
REDIS_URL switch it to PostgreSQL, Redis and separate worker processes.
"""

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from portal.env import (
    env_bool,
    env_database,
    env_int,
    env_list,
    env_seconds,
    env_str,
    env_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    configured = env_str("SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long.")
        return configured
    if env_str("DATABASE_URL") and not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DATABASE_URL is set and DEBUG is off."
        )
    # Embedded mode: keep one generated key per checkout so sessions survive restarts.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
# The port the portal is served on (scripts/demo passes it on), for the default base URL.
PORT = env_int("PORT", 8000, minimum=1)
# The address people reach the portal at; every link in e-mails, invitations, feeds and
# webhook payloads starts with it.
PORTAL_BASE_URL = env_url("PORTAL_BASE_URL", f"http://127.0.0.1:{PORT}", schemes=("http", "https"))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [PORTAL_BASE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "portal",
    "accounts",
    "sharing",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.PrivateResponsesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.CurrentMembershipMiddleware",
    "sharing.middleware.PolicyReuseMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.middleware.SignInPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {
    "default": env_database("DATABASE_URL", default_sqlite_path=str(VAR_DIR / "portal.sqlite3"))
}
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    # No JIT compilation, decided once for every connection. The portal's queries are short
    # index walks under the access policy, whose OR-ed EXISTS clauses the planner costs
    # high; JIT then spent hundreds of milliseconds compiling queries that run in a few.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    # Statements planned once per connection. The policy's conditions make PostgreSQL's
    # planning the larger part of most queries (1 to 7 ms against 0.1 to 5 ms running), and
    # the same statements come back on every page with other values. With the values sent
    # apart from the text (server-side binding), psycopg prepares a statement from its
    # second use, and PostgreSQL keeps a generic plan where it costs no more than a fresh one.
    # Off (DATABASE_PREPARED_STATEMENTS=0) behind a pooler in transaction mode that does not
    # carry prepared statements across its connections.
    if env_bool("DATABASE_PREPARED_STATEMENTS", True):
        options["server_side_binding"] = True
        options["prepare_threshold"] = 2
if not IS_POSTGRES:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# portal.bound_sql: compare every bound policy condition with a fresh build (the tests do).
BOUND_SQL_CHECK = False

# --- The demo's clock -----------------------------------------------------------------
# A file holding the time the embedded demo should show (portal/clock.py), so a digest hour
# or an expiry can be shown without waiting. Refused anywhere but embedded DEBUG mode.
PORTAL_CLOCK_FILE = env_str("PORTAL_CLOCK_FILE")
if PORTAL_CLOCK_FILE:
    if not DEBUG or IS_POSTGRES or env_str("REDIS_URL"):
        raise ImproperlyConfigured(
            "PORTAL_CLOCK_FILE is honoured only in embedded mode with DEBUG=1 "
            "(no DATABASE_URL, no REDIS_URL)."
        )
    from portal import clock

    clock.install(Path(PORTAL_CLOCK_FILE))

# --- Redis: Celery broker and cache ---------------------------------------------------
REDIS_URL = env_url("REDIS_URL", "", schemes=("redis", "rediss", "unix"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------
# Without Redis, tasks run in-process when they are enqueued (still after commit), and
# `manage.py serve_embedded` runs the beat schedule and delayed tasks in-process too
# (portal/embedded.py). The memory transport is never really used; naming its host keeps
# kombu from warning that none was supplied.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue(name)  # type: ignore[no-untyped-call]  # kombu ships no type information
    for name in ("default", "normalize", "fanout", "email", "government", "peers")
]
CELERY_TASK_ROUTES = {
    "sharing.tasks.normalize_*": {"queue": "normalize"},
    "sharing.tasks.fanout_*": {"queue": "fanout"},
    "sharing.tasks.deliver_*": {"queue": "fanout"},
    "*.tasks.send_*email*": {"queue": "email"},
    "sharing.fanout.tasks.deliver_*": {"queue": "fanout"},
    "sharing.fanout.tasks.fanout_*": {"queue": "fanout"},
    # Government partners: forwards (the transport names this queue) and their status reads,
    # so a slow government server never delays members' deliveries.
    "sharing.government.tasks.*": {"queue": "government"},
    # Peer ISACs: pulls and their polls, so a slow peer never delays members' deliveries.
    "sharing.peers.tasks.*": {"queue": "peers"},
}
CELERY_IMPORTS = ["sharing.fanout.tasks", "sharing.government.tasks", "sharing.peers.tasks"]
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1)
CELERY_TASK_TIME_LIMIT = CELERY_TASK_SOFT_TIME_LIMIT + 60
# Tasks are written to be idempotent, so a message is acknowledged only once it is done
# and a worker that dies mid-task leaves it for another worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis re-delivers an unacknowledged message after the visibility timeout; it must be
# longer than the longest countdown a task is retried with (CELERY_MAX_RETRY_DELAY).
CELERY_MAX_RETRY_DELAY = 6 * 3600
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 12 * 3600}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "portal-clear-expired-sessions": {
        "task": "portal.tasks.clear_expired_sessions",
        "schedule": crontab(minute=17, hour=3),
    },
    # Sends deliveries stranded between commit and enqueue, retries and due digests.
    "fanout-sweep": {
        "task": "sharing.fanout.tasks.fanout_sweep",
        "schedule": float(env_int("FANOUT_SWEEP_SECONDS", 30, minimum=1)),
    },
    "fanout-builtin-feeds": {
        "task": "sharing.fanout.tasks.fanout_ensure_builtin_feeds",
        "schedule": crontab(minute=41),
    },
    "accounts-sync-sector-communities": {
        "task": "accounts.tasks.sync_sector_communities",
        "schedule": crontab(minute="*/15"),
    },
}

CELERY_BEAT_SCHEDULE.update(
    {
        "accounts-agreement-reminders": {
            "task": "accounts.tasks.agreement_reminders_sweep",
            "schedule": crontab(minute=5),
        },
        "accounts-invitation-sweep": {
            "task": "accounts.tasks.invitations_sweep",
            "schedule": crontab(minute="*/10"),
        },
        "government-status-refresh": {
            "task": "sharing.government.tasks.government_status_refresh",
            "schedule": crontab(minute="*/15"),
        },
    }
)
# The dashboards read figures this refresh counts through the access policy (sharing.insights).
CELERY_BEAT_SCHEDULE["insights-refresh"] = {
    "task": "sharing.tasks.insights_refresh",
    "schedule": float(env_int("INSIGHTS_REFRESH_SECONDS", 900, minimum=60)),
}
# --- Fan-out: feeds, subscriptions, deliveries ----------------------------------------
# Retry delays in seconds after the 1st, 2nd, ... failed attempt (about 26 hours in all);
# each gets +/-20% jitter. The attempt counter lives in the database.
FANOUT_RETRY_DELAYS = env_seconds(
    "FANOUT_RETRY_DELAYS", [10, 60, 300, 900, 1800, 3600, 7200, 14400, 21600, 21600, 21600]
)
FANOUT_MAX_ATTEMPTS = len(FANOUT_RETRY_DELAYS) + 1
FANOUT_BATCH_SIZE = env_int("FANOUT_BATCH_SIZE", 100, minimum=1)
# The most a webhook send may take in all, from connecting to the last byte of the answer.
FANOUT_WEBHOOK_TIMEOUT = 10.0
# Webhooks of one batch are sent concurrently by this many threads per worker process.
FANOUT_SEND_THREADS = env_int("FANOUT_SEND_THREADS", 8, minimum=1)
# How long a worker's claim on a delivery lasts. The worker renews it while it sends, so
# this is how soon the sweep hands the deliveries of a worker that died to another.
FANOUT_CLAIM_SECONDS = env_int("FANOUT_CLAIM_SECONDS", 300, minimum=1)
# Private ranges webhooks may reach besides those ISAC admins allow in the portal.
FANOUT_ALLOWED_NETWORKS = env_list("FANOUT_ALLOWED_NETWORKS", [])
# Government partners (docs/government.md): the most one TAXII request may take, and how
# long a forward waits for the partner's status to complete before leaving it to the
# periodic status refresh.
GOVERNMENT_TAXII_TIMEOUT = float(env_int("GOVERNMENT_TAXII_TIMEOUT", 30, minimum=1))
GOVERNMENT_STATUS_WAIT = float(env_int("GOVERNMENT_STATUS_WAIT", 10, minimum=0))

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in security: lockout after repeated failures, keyed on the e-mail address and the
# client address together, counted whatever the HTTP method (django-axes).
AUTHENTICATION_BACKENDS = [
    "accounts.auth_backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_NEVER_LOCKOUT_GET = False
# Cleared only when the whole sign-in succeeds (accounts.lockout), never by a correct
# password alone: wrong second-factor codes count against the same limit.
AXES_RESET_ON_SUCCESS = False
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_VERBOSE = False
# Two-factor sign-in (django-otp): the issuer shown in authenticator apps.
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "ISAC portal")
PASSWORD_RESET_TIMEOUT = 3 * 3600
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7, minimum=1)

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static files (served by WhiteNoise) ----------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files live outside the web root and are served only through the access policy.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "uploads")))

# --- E-mail ---------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ISAC portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security -------------------------------------------------------------------------
# On by default outside DEBUG; each can be turned off for a deployment behind a proxy
# that terminates TLS itself.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
# Load balancers probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# /healthz names the database, the broker and the worker hosts only to monitors: callers
# from these networks, or with `Authorization: Bearer <HEALTHZ_TOKEN>`. Anyone else gets the
# overall status alone.
HEALTHZ_ALLOWED_NETWORKS = env_list("HEALTHZ_ALLOWED_NETWORKS", ["127.0.0.1/32", "::1/128"])
HEALTHZ_TOKEN = env_str("HEALTHZ_TOKEN")
for _network in HEALTHZ_ALLOWED_NETWORKS:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"HEALTHZ_ALLOWED_NETWORKS: {_network!r} is not a network such as 10.0.0.0/8."
        ) from None
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("TRUST_X_FORWARDED_PROTO", False) else None
)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 12 * 3600, minimum=60)
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- REST framework -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api.authentication.TokenWritePermission",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.CursorPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["accounts.api.authentication.PerTokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"per_token": env_str("API_RATE_LIMIT", "1200/min")},
}
# The most form text (not files) the server reads from one browser request; larger is a 413
# page. Pages with long text check it before sending, so nothing typed is lost.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("FORM_MAX_BYTES", 5 * 1024 * 1024, minimum=1024 * 1024)
# The reports page counts at most this many reports ("more than 2,000"; older ones are found
# with the date and other filters, as the page says): a count reads every row it counts, so
# the cap is what one list costs the database (about 1.4 ms per 1,000 readable reports).
# With more search matches than REPORT_LIST_RANKED_MAX, relevance would need every match
# ranked before the first page, so the matches are listed newest first instead.
REPORT_LIST_COUNT_CAP = env_int("REPORT_LIST_COUNT_CAP", 2_000, minimum=100)
REPORT_LIST_RANKED_MAX = env_int("REPORT_LIST_RANKED_MAX", 2_000, minimum=100)
# TAXII 2.1: the largest Add Objects request accepted (answered 413 above it).
TAXII_MAX_CONTENT_LENGTH = env_int("TAXII_MAX_CONTENT_LENGTH", 10 * 1024 * 1024, minimum=1024)
# The public TLP:CLEAR feed (sharing/public/): requests per client address, how long a
# browser or proxy may keep an answer, and how long the server keeps a built answer at most
# (a change of the feed's reports replaces it at once: sharing/public/http.py).
PUBLIC_FEED_RATE_LIMIT = env_str("PUBLIC_FEED_RATE_LIMIT", "120/min")
PUBLIC_FEED_MAX_AGE = env_int("PUBLIC_FEED_MAX_AGE", 300, minimum=0)
PUBLIC_FEED_CACHE_SECONDS = env_int("PUBLIC_FEED_CACHE_SECONDS", 300, minimum=1)
SPECTACULAR_SETTINGS = {
    "TITLE": "ISAC portal API",
    "DESCRIPTION": (
        "The portal's REST API. Every answer is filtered by the portal's TLP access policy. "
        "Authenticate with an API token: `Authorization: Bearer <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema is public on purpose (README, "Security"): it describes the open-source API,
    # the same for every deployment, and holds no data, no host name and no software version;
    # a member's engineer needs it to build a client before they hold a token.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TlpEnum": "sharing.tlp.TLP",
        "SightingKindEnum": "sharing.models.sightings.Sighting.Kind",
        "WatchedAssetKindEnum": "sharing.models.alerts.WatchedAsset.Kind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sharing.api.schema.forbid_nul_in_request_text",
    ],
}

# --- Logging --------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Development-server chatter; a change that reloads the server still says so.
        "django.utils.autoreload": {"level": "WARNING"},
        # In embedded mode every in-process task and beat tick would log a line; failures
        # are still logged. A worker (REDIS_URL set) logs them as usual.
        **(
            {}
            if REDIS_URL
            else {"celery.app.trace": {"level": "WARNING"}, "celery.beat": {"level": "WARNING"}}
        ),
    },
}

# --- Reports --------------------------------------------------------------------------
# Every member's reports wait for ISAC review before publication (else per organisation).
REPORT_REVIEW_REQUIRED = env_bool("REPORT_REVIEW_REQUIRED", False)
# Largest attachment accepted, in bytes.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# --- Normalisation of submissions -------------------------------------------------------
# Uploads larger than this are refused before they are stored.
NORMALIZE_MAX_UPLOAD_BYTES = env_int("NORMALIZE_MAX_UPLOAD_BYTES", 50 * 1024 * 1024, minimum=1024)
# Longest line of text analysed; longer lines (minified blobs, garbage) fail the submission.
NORMALIZE_MAX_LINE_CHARS = env_int("NORMALIZE_MAX_LINE_CHARS", 100_000, minimum=1000)
# Deepest JSON nesting accepted in STIX and MISP uploads.
NORMALIZE_MAX_JSON_DEPTH = env_int("NORMALIZE_MAX_JSON_DEPTH", 64, minimum=8)
# Documentation ranges (192.0.2.0/24, example.com ...) are warning-listed unless allowed.
NORMALIZE_ALLOW_DOCUMENTATION_RANGES = env_bool("NORMALIZE_ALLOW_DOCUMENTATION_RANGES", False)
# A run claimed this long ago is over whatever its heartbeat says; it must exceed the hard
# time limit (a system check refuses to start otherwise), or a live run would be repeated.
NORMALIZE_STALE_AFTER_SECONDS = env_int(
    "NORMALIZE_STALE_AFTER_SECONDS", CELERY_TASK_TIME_LIMIT + 60, minimum=60
)
# A running worker renews its claim this often; a run silent for NORMALIZE_HEARTBEAT_MISSES
# beats (its worker was killed) is taken over at the next sweep, so with the defaults a
# killed run is running again within 40 s + one sweep interval.
NORMALIZE_HEARTBEAT_SECONDS = env_int("NORMALIZE_HEARTBEAT_SECONDS", 10, minimum=1)
NORMALIZE_HEARTBEAT_MISSES = 4
# Runs of one submission that may die before it stops and ISAC staff are told.
NORMALIZE_MAX_ATTEMPTS = env_int("NORMALIZE_MAX_ATTEMPTS", 3, minimum=1)
NORMALIZE_SWEEP_SECONDS = 60.0
CELERY_BEAT_SCHEDULE["sharing-normalize-sweep"] = {
    "task": "sharing.tasks.normalize_sweep",
    "schedule": NORMALIZE_SWEEP_SECONDS,
}

# --- Indicator lifecycle -----------------------------------------------------------------
# How often indicators whose score decayed below their rule's threshold are revoked (each
# revocation is a new STIX version that TAXII clients polling with added_after receive).
INDICATOR_SWEEP_SECONDS = env_int("INDICATOR_SWEEP_SECONDS", 600, minimum=10)
CELERY_BEAT_SCHEDULE["sharing-indicators-sweep"] = {
    "task": "sharing.tasks.indicators_sweep",
    "schedule": float(INDICATOR_SWEEP_SECONDS),
}

# --- Peer ISACs (sharing/peers, docs/peers.md) -------------------------------------------
# Objects asked for per TAXII page when pulling a peer (the server may send fewer).
PEERS_PAGE_SIZE = env_int("PEERS_PAGE_SIZE", 1000, minimum=1)
# A pull holds its peer this long at most; a worker killed mid-pull frees it then.
PEERS_CLAIM_SECONDS = env_int("PEERS_CLAIM_SECONDS", 900, minimum=10)
# Total time one request to a peer may take.
PEERS_TIMEOUT_SECONDS = float(env_int("PEERS_TIMEOUT_SECONDS", 60, minimum=1))
# /healthz reports a peer whose pulls have failed for this long.
PEERS_FAILING_ALERT_MINUTES = env_int("PEERS_FAILING_ALERT_MINUTES", 60, minimum=1)
CELERY_BEAT_SCHEDULE["peers-poll"] = {
    "task": "sharing.peers.tasks.peers_poll",
    "schedule": float(env_int("PEERS_POLL_SECONDS", 60, minimum=1)),
}

# --- Alerts that touch a member ---------------------------------------------------------
# A scan claimed this long ago is taken over by the sweep; longer than the task time limit.
ALERTS_CLAIM_SECONDS = env_int("ALERTS_CLAIM_SECONDS", CELERY_TASK_TIME_LIMIT + 60, minimum=10)
# Scans and alert e-mails still waiting this long after they were written are sent again.
ALERTS_SWEEP_GRACE_SECONDS = env_int("ALERTS_SWEEP_GRACE_SECONDS", 60, minimum=1)
CELERY_IMPORTS = [*CELERY_IMPORTS, "sharing.alerts.tasks"]
CELERY_BEAT_SCHEDULE["sharing-alerts-sweep"] = {
    "task": "sharing.alerts.tasks.alerts_sweep",
    "schedule": float(env_int("ALERTS_SWEEP_SECONDS", 60, minimum=1)),
}
