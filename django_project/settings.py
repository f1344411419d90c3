"""Django settings: the only module that reads the environment (a ``.env`` file when present).

Every variable is listed, with a comment, in ``.env.example``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
# Variables already set in the environment win over the .env file.
load_dotenv(os.environ.get("WEBHOOK_ENV_FILE", BASE_DIR / ".env"), override=False)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on", "sim"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


DEBUG = env_bool("DJANGO_DEBUG", False)
# Without a configured key a random one is made per process: sessions do not survive a
# restart, which is safe; setup_webhook.py writes a stable one into .env.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or os.urandom(32).hex()
SECRET_KEY_FROM_ENV = bool(os.environ.get("DJANGO_SECRET_KEY"))
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],.ngrok-free.app,.ngrok.app,.ngrok.io"
)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # First, so that its admin/base_site.html (the console's links, our admin stylesheet)
    # overrides the admin's own.
    "webhook",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # pt-BR unless the user picked another language (cookie set by /i18n/setlang/).
    "webhook.console.language.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "django_project.urls"
WSGI_APPLICATION = "django_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database: DATABASE_URL, else an embedded SQLite file (WAL journal, busy timeout) ---
SQLITE_PATH = BASE_DIR / "db.sqlite3"
DB_CONN_MAX_AGE = env_int("WEBHOOK_DB_CONN_MAX_AGE", 600)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{SQLITE_PATH}",
        conn_max_age=DB_CONN_MAX_AGE,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests use a real file (not Django's shared-cache in-memory database) so that threads and
    # processes meet SQLite's real locking, as the servers do.
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"multichat-test-{os.getpid()}.sqlite3")
    }
    DATABASES["default"]["OPTIONS"] = {
        # Seconds a writer waits for the lock before "database is locked".
        "timeout": env_int("WEBHOOK_SQLITE_TIMEOUT", 20),
        # Take the write lock at BEGIN: no deadlock when a reader upgrades to a writer.
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            f"PRAGMA synchronous={os.environ.get('WEBHOOK_SQLITE_SYNCHRONOUS', 'FULL')};"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA temp_store=MEMORY;"
            # 4 MB of page cache per connection: the applier ran as fast as with 20 MB (the
            # OS caches the file too), and each process holds 16 MB less.
            "PRAGMA cache_size=-4000;"
        ),
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env_int("WEBHOOK_DB_CONNECT_TIMEOUT", 5)
    )
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel apart from the statement (psycopg then prepares repeated ones)
        # instead of being quoted into its text in Python: +11% acks/s in `make bench`.
        DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", "Português (Brasil)"), ("en", "English")]
TIME_ZONE = "America/Sao_Paulo"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
# Only for `collectstatic` in a deployment that serves files elsewhere; not needed to run.
STATIC_ROOT = os.environ.get("DJANGO_STATIC_ROOT") or None
# The admin's CSS served by WhiteNoise straight from the apps: no collectstatic step.
WHITENOISE_USE_FINDERS = True
LOGIN_URL = "admin:login"

# Webhook bodies are read whole by our own size check (WEBHOOK_MAX_BODY_BYTES).
DATA_UPLOAD_MAX_MEMORY_SIZE = None

# Every page: scripts and styles only from our own static files (vendored, no CDN), no
# inline script, no framing. Images also from data: URIs (QR codes drawn by the gateway).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Production hardening (DJANGO_DEBUG=0); TLS itself is the reverse proxy's / ngrok's job ---
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
    SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)

# --- MultiChat Webhook (read through webhook.conf) ---
WEBHOOK_API_TOKEN = os.environ.get("WEBHOOK_API_TOKEN", "")
WEBHOOK_MAX_BODY_BYTES = env_int("WEBHOOK_MAX_BODY_BYTES", 64 * 1024 * 1024)
WEBHOOK_MAX_JSON_DEPTH = env_int("WEBHOOK_MAX_JSON_DEPTH", 64)
WEBHOOK_BODY_TIMEOUT_SECONDS = env_int("WEBHOOK_BODY_TIMEOUT_SECONDS", 30)
WEBHOOK_MAX_JSON_NODES = env_int("WEBHOOK_MAX_JSON_NODES", 200_000)
# Bodies one server worker holds at once (arriving or being handled), in bytes.
WEBHOOK_MAX_BUFFERED_BYTES = env_int("WEBHOOK_MAX_BUFFERED_BYTES", 256 * 1024 * 1024)
WEBHOOK_REJECTED_BODY_QUOTA_BYTES = env_int("WEBHOOK_REJECTED_BODY_QUOTA_BYTES", 64 * 1024 * 1024)
WEBHOOK_REJECTED_BODY_QUOTA_PER_SOURCE_BYTES = env_int(
    "WEBHOOK_REJECTED_BODY_QUOTA_PER_SOURCE_BYTES", 8 * 1024 * 1024
)
WEBHOOK_REQUIRE_TOKEN = env_bool("WEBHOOK_REQUIRE_TOKEN", True)
WEBHOOK_FALLBACK_CLIENT = env_bool("WEBHOOK_FALLBACK_CLIENT", DEBUG)
WEBHOOK_IP_ALLOWLIST = env_list("WEBHOOK_IP_ALLOWLIST")
WEBHOOK_TRUSTED_PROXIES = env_list("WEBHOOK_TRUSTED_PROXIES", "127.0.0.1/32,::1/128")
WEBHOOK_META_APP_SECRET = os.environ.get("WEBHOOK_META_APP_SECRET", "")
WEBHOOK_META_VERIFY_TOKEN = os.environ.get("WEBHOOK_META_VERIFY_TOKEN", "")
WEBHOOK_GATEWAY_TZ = os.environ.get("WEBHOOK_GATEWAY_TZ", "America/Sao_Paulo")
WEBHOOK_APPLY_MODE = os.environ.get("WEBHOOK_APPLY_MODE", "inline")
# The applier (webhook.applier): events per transaction (0: 1,024) and the seconds it waits
# for more when less than a full chunk was waiting.
WEBHOOK_APPLY_CHUNK = env_int("WEBHOOK_APPLY_CHUNK", 0)
WEBHOOK_APPLY_IDLE = float(os.environ.get("WEBHOOK_APPLY_IDLE", "0.05"))
WEBHOOK_SPOOL_DIR = os.environ.get("WEBHOOK_SPOOL_DIR", str(BASE_DIR / "spool"))
# Where applying happens after the ack: "embedded" (the applier process beside the receiver)
# or "celery" (Celery workers over a broker; needs PostgreSQL: webhook.queue).
WEBHOOK_PROCESSING = os.environ.get("WEBHOOK_PROCESSING", "embedded")
# Queue mode: a "received" event older than the lease is re-published by the sweeper (every
# WEBHOOK_QUEUE_SWEEP_SECONDS); database errors are retried this many times, then "failed".
WEBHOOK_QUEUE_LEASE_SECONDS = float(os.environ.get("WEBHOOK_QUEUE_LEASE_SECONDS", "30"))
WEBHOOK_QUEUE_SWEEP_SECONDS = float(os.environ.get("WEBHOOK_QUEUE_SWEEP_SECONDS", "5"))
WEBHOOK_QUEUE_MAX_ATTEMPTS = env_int("WEBHOOK_QUEUE_MAX_ATTEMPTS", 6)
# The receiver's publisher: seconds one publish may take, and batches it may hold in memory.
WEBHOOK_QUEUE_PUBLISH_TIMEOUT = float(os.environ.get("WEBHOOK_QUEUE_PUBLISH_TIMEOUT", "1"))
WEBHOOK_QUEUE_PUBLISH_BUFFER = env_int("WEBHOOK_QUEUE_PUBLISH_BUFFER", 2000)
# Celery (django_project/celery.py reads every CELERY_* setting): RabbitMQ by default,
# "redis://127.0.0.1:6379/0" also works.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
CELERY_TASK_ACKS_LATE = True  # a task is acknowledged once done: a dead worker's is re-queued
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True  # results live in the event table, not in a backend
CELERY_TASK_DEFAULT_QUEUE = "apply"
CELERY_TASK_ROUTES = {"webhook.queue.tasks.fetch_media": {"queue": "media"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 120}  # Redis: redelivery of the dead's
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    "webhook-sweep": {
        "task": "webhook.queue.tasks.sweep",
        "schedule": WEBHOOK_QUEUE_SWEEP_SECONDS,
        "options": {"expires": WEBHOOK_QUEUE_SWEEP_SECONDS * 2},
    },
    # Retention (manage.py webhook_prune): raw bodies of settled events older than
    # WEBHOOK_RETENTION_RAW_DAYS, hourly, in short batches.
    "webhook-prune": {"task": "webhook.tasks.prune_raw_bodies", "schedule": 3600.0},
}
WEBHOOK_PORT = env_int("WEBHOOK_PORT", 5000)
WEBHOOK_HOST = os.environ.get("WEBHOOK_HOST", "0.0.0.0")  # noqa: S104 (a server for the LAN)
WEBHOOK_WORKERS = env_int("WEBHOOK_WORKERS", 0)  # 0: one per core, up to 4
WEBHOOK_THREADS = env_int("WEBHOOK_THREADS", 32)
WEBHOOK_SERVER = os.environ.get("WEBHOOK_SERVER", "")  # "": granian (waitress on Windows)
WEBHOOK_RECEIVER_NICE = env_int("WEBHOOK_RECEIVER_NICE", 12)
# Media files of the messages (webhook.media): fetched in the background, kept in a storage.
WEBHOOK_MEDIA_ROOT = os.environ.get("WEBHOOK_MEDIA_ROOT", str(BASE_DIR / "media_files"))
WEBHOOK_MEDIA_FETCH = env_bool("WEBHOOK_MEDIA_FETCH", True)
WEBHOOK_MEDIA_MAX_BYTES = env_int("WEBHOOK_MEDIA_MAX_BYTES", 100 * 1024 * 1024)
WEBHOOK_MEDIA_ALLOWED_HOSTS = env_list("WEBHOOK_MEDIA_ALLOWED_HOSTS")
WEBHOOK_MEDIA_ALLOWED_NETWORKS = env_list("WEBHOOK_MEDIA_ALLOWED_NETWORKS")
WEBHOOK_MEDIA_CONCURRENCY = env_int("WEBHOOK_MEDIA_CONCURRENCY", 4)
WEBHOOK_MEDIA_MAX_ATTEMPTS = env_int("WEBHOOK_MEDIA_MAX_ATTEMPTS", 6)
WEBHOOK_MEDIA_TIMEOUT = env_int("WEBHOOK_MEDIA_TIMEOUT", 30)
WEBHOOK_META_GRAPH_URL = os.environ.get(
    "WEBHOOK_META_GRAPH_URL", "https://graph.facebook.com/v21.0"
)
WEBHOOK_WHATSAPP_CDN_URL = os.environ.get("WEBHOOK_WHATSAPP_CDN_URL", "https://mmg.whatsapp.net")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "webhook_media": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": WEBHOOK_MEDIA_ROOT, "base_url": None},
    },
}
if os.environ.get("WEBHOOK_MEDIA_S3_BUCKET"):  # S3-compatible storage (django-storages)
    STORAGES["webhook_media"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["WEBHOOK_MEDIA_S3_BUCKET"],
            "endpoint_url": os.environ.get("WEBHOOK_MEDIA_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("WEBHOOK_MEDIA_S3_REGION") or None,
            "access_key": os.environ.get("WEBHOOK_MEDIA_S3_ACCESS_KEY") or None,
            "secret_key": os.environ.get("WEBHOOK_MEDIA_S3_SECRET_KEY") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": True,
        },
    }
NGROK_AUTHTOKEN = os.environ.get("NGROK_AUTHTOKEN", "")
# Operating it: /readyz's database timeout; /metrics' Bearer token (empty: loopback only) and
# prometheus_client's folder when given (else one per server under the spool: webhook.metrics);
# days a settled event keeps its raw body (webhook_prune, 0: forever).
WEBHOOK_READY_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_READY_TIMEOUT_SECONDS", "2"))
WEBHOOK_METRICS_TOKEN = os.environ.get("WEBHOOK_METRICS_TOKEN", "")
WEBHOOK_METRICS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
WEBHOOK_RETENTION_RAW_DAYS = env_int("WEBHOOK_RETENTION_RAW_DAYS", 90)
# Probes and scrapes over plain HTTP inside the host are not redirected to HTTPS.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every line masks tokens and signatures and escapes control characters (a sender's
    # instanceId with a newline cannot forge a line): webhook.log_safety.
    "filters": {"safe": {"()": "webhook.log_safety.SafeLogFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["safe"],
        },
    },
    # Everything else (waitress, libraries) reaches the root logger's handler, filtered too.
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "webhook": {
            "handlers": ["console"],
            "level": os.environ.get("WEBHOOK_LOG_LEVEL", "INFO"),
            "propagate": False,
        },
        "django.request": {"filters": ["safe"]},
        "django.server": {"filters": ["safe"]},
    },
}
