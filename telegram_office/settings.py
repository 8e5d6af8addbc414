"""Settings for telegram_office, read from the environment (django-environ).

Every variable is optional: without any, the project runs on the embedded default (SQLite in WAL mode and a
filesystem Celery broker under var/, secrets generated once into var/secrets.env). Production sets them all; with
DJANGO_DEBUG off, start-up refuses to run without DJANGO_SECRET_KEY, TELEGRAM_DATA_KEYS and AUDIT_SIGNING_KEY.
See ../shared/DESIGN.md "Contracts" and docs/architecture.md.
"""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from .embedded import ensure_var

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("TELEGRAM_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Secrets: from the environment, else (embedded default, DEBUG on only) from var/secrets.env.
# Only the checkpoint signer (beat) needs AUDIT_SIGNING_KEY; web and worker verify with AUDIT_PUBLIC_KEY (what
# `audit_public_key` prints), so a compromised web process cannot sign a rewritten chain.
SECRET_NAMES = ("DJANGO_SECRET_KEY", "TELEGRAM_DATA_KEYS", "AUDIT_SIGNING_KEY")
if DEBUG and not all(env.str(name, default="") for name in SECRET_NAMES):
    environ.Env.read_env(str(ensure_var(VAR_DIR)), overwrite=False)
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
_missing = [name for name in SECRET_NAMES[:2] if not env.str(name, default="")]
if not (env.str("AUDIT_SIGNING_KEY", default="") or env.str("AUDIT_PUBLIC_KEY", default="")):
    _missing.append("AUDIT_SIGNING_KEY (or AUDIT_PUBLIC_KEY where this process does not sign)")
if _missing:
    raise ImproperlyConfigured(f"Refusing to start with DJANGO_DEBUG off: missing {', '.join(_missing)}")

SECRET_KEY = env.str("DJANGO_SECRET_KEY")
# Earlier secret keys, still accepted (sessions, and the MACs of audit entries written under them).
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
# "kid:base64(32 bytes)" comma-separated; the first key encrypts, every key decrypts (rotation).
TELEGRAM_DATA_KEYS = env.str("TELEGRAM_DATA_KEYS")
# The body search's blind index key(s) (vault/blind.py), kept apart from the data keys: same "kid:base64" form,
# the first tags new bodies, every one is searched; `rebuild_body_index` re-tags after a rotation. Empty (the
# default): derived from the data keys with HKDF under its own label (set a key of its own in production).
TELEGRAM_INDEX_KEYS = env.str("TELEGRAM_INDEX_KEYS", default="")
# base64 of a raw 32-byte Ed25519 private key; signs audit checkpoints. Empty in processes that do not sign.
AUDIT_SIGNING_KEY = env.str("AUDIT_SIGNING_KEY", default="")
# base64 (or PEM) Ed25519 public key that verifies checkpoints; default: the signing key's own public half.
AUDIT_PUBLIC_KEY = env.str("AUDIT_PUBLIC_KEY", default="")
# The witness: every signed checkpoint is also appended to a log here, outside the database (production: a
# volume the database host cannot write); AUDIT_WITNESS_MIRRORS are more folders that get the same lines.
AUDIT_WITNESS_DIR = Path(env.str("AUDIT_WITNESS_DIR", default=str(VAR_DIR / "witness")))
AUDIT_WITNESS_MIRRORS = [Path(p) for p in env.list("AUDIT_WITNESS_MIRRORS", default=[])]

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# 归档: the 全宗号 (fonds code) the archives assigned to this office, the first part of every 档号
# (DA/T 22: 全宗号-年度-保管期限代码-件号). "0001" is a placeholder; set the real one before the first 归档.
ARCHIVE_FONDS = env.str("ARCHIVE_FONDS", default="0001")

# Receipt numbers: {RECEIPT_PREFIX}[{year}]{n}号
RECEIPT_PREFIX = env.str("RECEIPT_PREFIX", default="宁机明收")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_filters",
    "axes",
    "django_otp",  # its middleware and helpers; the devices are our own (directory/devices.py: sealed, hashed)
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from our static files (no CDN)
    "core",
    "alarms",
    "directory",
    "vault",
    "audit",
    "telegrams",
    "routing",
    "annotations",
    "reminders",
    "notifications",
    "intake",
    "printing",
    "auditlog",
    "desk",
    "ocr",
    "stats",
    "archive",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise (static files stay cacheable): every other response is no-store (decrypted text).
    "directory.middleware.NoStoreMiddleware",
    # Django's, but the live poll (static/js/live.js) neither writes the session nor renews its idle timer.
    "directory.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "directory.middleware.AuditActorMiddleware",
    "directory.middleware.SessionLifetimeMiddleware",
    # After OTPMiddleware: an account that needs a second factor reaches nothing but the OTP pages until verified.
    "directory.middleware.SecondFactorMiddleware",
    # Refuses NUL and other control characters in any parameter (after CSRF's check, before every view).
    "directory.middleware.ControlCharacterMiddleware",
    # Reads the live versions of a page with live regions before its view's queries (LIVE_PAGES).
    "notifications.middleware.LiveVersionsMiddleware",
    # Remembers the last list page shown, for "← 返回" (core.navigation).
    "core.navigation.RememberBackPageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that it sees the authenticated user and the final response (django-axes requirement).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "telegram_office.urls"
WSGI_APPLICATION = "telegram_office.wsgi.application"

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
                "directory.context_processors.current_person",
                "notifications.context_processors.alerts",
            ],
        },
    },
]

# The cache counts the API's rate limits: per process by default; CACHE_URL=redis://…/1 shares the count between
# the web processes of a production set-up.
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}

# Database: SQLite (WAL, IMMEDIATE transactions so writers queue instead of failing) or PostgreSQL.
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # A file, not :memory:, so a Celery worker process started by the tests sees the same test database;
    # one per test run (pid), so two runs on one machine don't share it.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "DATABASE_TEST_NAME", default=str(VAR_DIR / f"test_db_{os.getpid()}.sqlite3")
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("DATABASE_TEST_NAME", default="test_telegram_office")
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
# Least privilege (PostgreSQL): run `migrate` with DATABASE_URL naming the owner role and DATABASE_APP_ROLE naming the
# role web, worker and beat connect as; migrate then grants that role what it needs, the audit ledger append-only
# (audit/privileges.py). Empty (default): nothing is granted — the embedded set-up and CI use one role.
DATABASE_APP_ROLE = env.str("DATABASE_APP_ROLE", default="")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # lockout check before the password is even compared
    "directory.backends.PersonModelBackend",  # Django's ModelBackend; the request's user comes with its Person
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "directory.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},  # Chinese message
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Validates nothing: records every password set or changed on the audit chain (directory/credentials.py).
    {"NAME": "directory.credentials.AuditPasswordChanges"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# List pages "← 返回" may lead back to (core.navigation): URL names.
BACK_PAGES = {
    "telegrams:register", "annotations:inbox", "routing:inbox", "routing:history", "audit:log", "audit:telegram",
    "directory:units", "directory:people", "notifications:list", "routing:unknown_units",
    "reminders:overdue",
}

# django-axes: 5 failures per (username, IP) lock that pair for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy every client would share the proxy's address: name the proxies (addresses or networks,
# comma-separated) and the client address is read from X-Forwarded-For past them (directory.security.address_of).
TRUSTED_PROXIES = env.list("DJANGO_TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "directory.security.address_of"

# Sessions: 30 minutes idle (saved on every request), 12 hours at most (directory.middleware).
SESSION_COOKIE_AGE = 30 * 60
# The database store, but a lost connection after the view committed does not turn its response into a 500.
SESSION_ENGINE = "directory.sessions"
SESSION_SAVE_EVERY_REQUEST = True
SESSION_MAX_LIFETIME = 12 * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): our own static files only — no inline script or style attribute,
# images may be data: URIs (the OTP QR code), no framing, forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# Second factor (django-otp, TOTP + single-use recovery codes). Optional for everyone; OTP_REQUIRED_ROLES makes it
# mandatory for the listed roles (role names or clerk/leader/staff/admin), e.g. OTP_REQUIRED_ROLES=leader,admin.
_ROLE_ALIASES = {"clerk": "机要员", "leader": "领导", "staff": "承办人", "admin": "管理员"}
OTP_REQUIRED_ROLES = [_ROLE_ALIASES.get(r.strip().lower(), r.strip()) for r in env.list("OTP_REQUIRED_ROLES", default=[])]
if set(OTP_REQUIRED_ROLES) - set(_ROLE_ALIASES.values()):
    raise ImproperlyConfigured(f"OTP_REQUIRED_ROLES: unknown role in {OTP_REQUIRED_ROLES}")
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="明电收文管理系统")
OTP_RECOVERY_CODES = 10
if not DEBUG:
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Encrypted scans live here (ciphertext only).
SCAN_ROOT = Path(env.str("SCAN_ROOT", default=str(VAR_DIR / "scans")))
SCAN_MAX_BYTES = env.int("SCAN_MAX_BYTES", default=20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# The register counts matching rows up to this many (an exact COUNT(*) of a million rows is slow).
REGISTER_COUNT_CAP = env.int("REGISTER_COUNT_CAP", default=100_000)

# Default handling deadlines in days per precedence (an explicit date in the instruction overrides).
DEADLINE_DAYS = {
    "特提": env.int("DEADLINE_DAYS_TETI", default=1),
    "特急": env.int("DEADLINE_DAYS_TEJI", default=3),
    "加急": env.int("DEADLINE_DAYS_JIAJI", default=5),
    "平急": env.int("DEADLINE_DAYS_PINGJI", default=10),
}
# How those days count (routing/deadlines.py): "calendar" (every day) or "working" (statutory working days from
# chinese-calendar: holidays skipped, 调休 weekends worked). 特提 has its own, calendar by default (handled on arrival).
DEADLINE_COUNTING = env.str("DEADLINE_COUNTING", default="calendar")
DEADLINE_COUNTING_TETI = env.str("DEADLINE_COUNTING_TETI", default="calendar")
for _name in ("DEADLINE_COUNTING", "DEADLINE_COUNTING_TETI"):
    if globals()[_name] not in ("calendar", "working"):
        raise ImproperlyConfigured(f"{_name} must be calendar or working, not {globals()[_name]!r}")
# Days the installed chinese-calendar does not know yet: ISO dates or ranges 2027-01-01..2027-01-03, comma-separated.
DEADLINE_EXTRA_HOLIDAYS = env.list("DEADLINE_EXTRA_HOLIDAYS", default=[])
DEADLINE_EXTRA_WORKDAYS = env.list("DEADLINE_EXTRA_WORKDAYS", default=[])
# 催办 cadence per precedence, "<before>/<every>[/<max>]" in hours (h) or working days (d); day reminders at REMINDER_TIME.
REMINDER_CADENCE = {
    "特提": env.str("REMINDER_CADENCE_TETI", default="2h/2h"),
    "特急": env.str("REMINDER_CADENCE_TEJI", default="1d/1d"),
    "加急": env.str("REMINDER_CADENCE_JIAJI", default="1d/1d"),
    "平急": env.str("REMINDER_CADENCE_PINGJI", default="1d/1d"),
}
REMINDER_TIME = env.str("REMINDER_TIME", default="09:00")
# After this many overdue reminders to the unit, the series escalates once to the clerks and the leaders (0: never).
REMINDER_ESCALATE_AFTER = env.int("REMINDER_ESCALATE_AFTER", default=3)
# How often beat runs the reminder pass (seconds); a step is sent by the first pass after it falls due.
REMINDER_PASS_INTERVAL = env.float("REMINDER_PASS_INTERVAL", default=300.0)
# A claimed reminder not sent after this many seconds (its worker died) is taken again by the next pass.
REMINDER_RETRY_SECONDS = env.float("REMINDER_RETRY_SECONDS", default=600.0)

# Celery: Redis in production, kombu's filesystem transport (no server) by default.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_FS_BROKER_DIR = Path(env.str("CELERY_FS_BROKER_DIR", default=str(VAR_DIR / "broker")))
if CELERY_BROKER_URL.startswith("filesystem://"):
    (CELERY_FS_BROKER_DIR / "queue").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_FS_BROKER_DIR / "queue"),
        "data_folder_out": str(CELERY_FS_BROKER_DIR / "queue"),
        "processed_folder": str(CELERY_FS_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_FS_BROKER_DIR / "control"),  # not ./control in the working tree
        "store_processed": False,
    }
else:
    # Longer than the longest task time limit, so a slow task is not redelivered while still running.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_DEFAULT_QUEUE = "default"
SIGNER_QUEUE = env.str("AUDIT_SIGNER_QUEUE", default="signer")
# OCR has a queue of its own, consumed by its own worker (concurrency 1, one inference thread): a scan takes
# seconds per page and must never sit in front of a 特提 routing. urgent/default are chosen per call. The
# checkpoint signer's queue likewise: only the process holding AUDIT_SIGNING_KEY consumes it.
CELERY_TASK_ROUTES = {"ocr.tasks.read_scan": {"queue": "ocr"}, "audit.tasks.sign_checkpoint": {"queue": SIGNER_QUEUE}}
OCR_DPI = env.int("OCR_DPI", default=200)  # PDF pages are rendered at this resolution
OCR_MAX_PAGES = env.int("OCR_MAX_PAGES", default=10)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fix-up closes the database connection before and after every task unless this is set: a new
# PostgreSQL connection per task was half of a routing task's time (bench/README.md). Connections are kept
# instead and recycled like a web request's (telegram_office/celery.py: close_old_connections around each task).
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=1000)
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat with a leader (telegram_office/beat.py): run a beat on each host; the one holding a PostgreSQL advisory
# lock sends the periodic tasks, the others ask again every BEAT_LEADER_RETRY seconds (the longest a leader's
# death leaves the schedule unsent).
CELERY_BEAT_SCHEDULER = "telegram_office.beat:LeaderScheduler"
BEAT_LEADER_RETRY = env.float("BEAT_LEADER_RETRY", default=5.0)
# Re-send routing orders still pending after ROUTING_SWEEP_GRACE seconds (a lost message or a killed worker).
ROUTING_SWEEP_INTERVAL = env.float("ROUTING_SWEEP_INTERVAL", default=5.0)
ROUTING_SWEEP_GRACE = env.float("ROUTING_SWEEP_GRACE", default=10.0)
# A routing task also takes up to this many other pending orders and routes them in one transaction.
ROUTING_BATCH = env.int("ROUTING_BATCH", default=50)
# A 特提 registration routes its 批办 in its own transaction (routing.actions.open_order, inline): delivered when the
# registration commits, never queued behind ordinary routing; off: the worker routes it from the urgent queue.
ROUTE_URGENT_INLINE = env.bool("ROUTE_URGENT_INLINE", default=True)
# An order still pending this many seconds after it was written raises an alarm (healthz, routing history, admins).
ROUTING_STALL_SECONDS = env.float("ROUTING_STALL_SECONDS", default=300.0)
AUDIT_CHECKPOINT_INTERVAL = env.float("AUDIT_CHECKPOINT_INTERVAL", default=60.0)
# verify_audit fails when an entry older than this is covered by no witnessed checkpoint (the signer stopped, or
# its checkpoints were removed): the bound on how long a rewrite of the newest entries can go unseen.
AUDIT_CHECKPOINT_MAX_LAG = env.float("AUDIT_CHECKPOINT_MAX_LAG", default=3 * AUDIT_CHECKPOINT_INTERVAL + 60)
# The statistics' summary: changed months every STATS_REFRESH_INTERVAL seconds, everything once a night.
STATS_REFRESH_INTERVAL = env.float("STATS_REFRESH_INTERVAL", default=300.0)
CELERY_BEAT_SCHEDULE = {
    "sweep-routing-orders": {"task": "routing.tasks.sweep_orders", "schedule": ROUTING_SWEEP_INTERVAL},
    "sign-audit-checkpoint": {"task": "audit.tasks.sign_checkpoint", "schedule": AUDIT_CHECKPOINT_INTERVAL},
    "refresh-stats": {"task": "stats.tasks.refresh_stats", "schedule": STATS_REFRESH_INTERVAL},
    "rebuild-stats": {"task": "stats.tasks.refresh_stats", "schedule": crontab(hour=2, minute=30), "kwargs": {"full": True}},
    # Scan files a crash (or a failed COMMIT) left without a row, once they are an hour old (vault/files.py).
    "sweep-orphan-scans": {"task": "vault.sweep_orphans", "schedule": 3600.0},
    # 催办: reminders before and after each open delivery's deadline, once per step (reminders/actions.py).
    "remind-overdue": {"task": "reminders.tasks.remind_overdue", "schedule": REMINDER_PASS_INTERVAL},
}
# The intake folder (off unless set): beat looks at it every INTAKE_FOLDER_INTERVAL seconds; .txt files are
# registered like `import_telegram`, scans (PDF/JPEG/PNG) queued for OCR and listed for a clerk to confirm
# (intake/folder.py). Files are moved to 已处理/ or 未登记/ (with the reason) beside them. INTAKE_USER: the clerk
# account they are received under (default: the first active clerk). A file changed in the last
# INTAKE_SETTLE_SECONDS is left for the next look (still being copied in).
INTAKE_FOLDER = env.str("INTAKE_FOLDER", default="")
INTAKE_USER = env.str("INTAKE_USER", default="")
INTAKE_FOLDER_INTERVAL = env.float("INTAKE_FOLDER_INTERVAL", default=15.0)
INTAKE_SETTLE_SECONDS = env.float("INTAKE_SETTLE_SECONDS", default=5.0)
if INTAKE_FOLDER:
    CELERY_BEAT_SCHEDULE["watch-intake-folder"] = {"task": "intake.tasks.watch_folder", "schedule": INTAKE_FOLDER_INTERVAL}
# Declared queues: a plain `celery -A telegram_office worker` consumes exactly these, urgent first (Redis: BRPOP
# asks the keys in this order with the "priority" strategy; one priority step keeps each queue a single key, so a
# 特提 message is never behind a default one). The checkpoint signer's and the OCR queues are deliberately not
# declared: their own workers consume them (`worker -B -Q signer`, `worker -Q ocr`, see docker-compose.yml).
CELERY_TASK_QUEUES = [Queue("urgent", routing_key="urgent"), Queue("default", routing_key="default")]
if not CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS.update({"queue_order_strategy": "priority", "priority_steps": [0]})

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="telegram-office@localhost")
# Channels an alert goes through besides the in-app list (dotted paths of classes with `send(message)`; an SMS or
# IM gateway is one more class). notifications/channels.py.
NOTIFICATION_CHANNELS = env.list("NOTIFICATION_CHANNELS", default=["notifications.channels.EmailChannel"])
# How often an open page asks whether what it shows changed (static/js/live.js): a change shows within this
# plus the time the page takes to load again. Cost per open page: bench/README.md (live).
LIVE_POLL_SECONDS = env.float("LIVE_POLL_SECONDS", default=3.0)
# Pages with live regions (data-live): their versions are read before the view's queries.
LIVE_PAGES = {"routing:inbox", "annotations:inbox", "notifications:list"}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="WARNING")},
}
CSRF_FAILURE_VIEW = "telegram_office.views.csrf_failure"

# The REST API (api/, ../shared/DESIGN.md "REST API"). Its views authenticate each request and answer in JSON, so
# the page guards (session lifetime redirect, second-factor redirect, the control-character page) leave paths
# under API_PATH_PREFIX to it.
API_PATH_PREFIX = "/api/"
# Requests per token (a session: per user) and period, reads and writes counted apart.
API_RATES = {
    "read": env.str("API_RATE_READ", default="600/minute"),
    "write": env.str("API_RATE_WRITE", default="120/minute"),
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",  # first: its WWW-Authenticate header makes "no credentials" a 401
        "api.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasRole"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],  # no browsable API (inline scripts)
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ReadRate", "api.throttling.WriteRate"],
    "DEFAULT_SCHEMA_CLASS": "api.schema.ApiSchema",
    "DEFAULT_METADATA_CLASS": None,  # OPTIONS answers 405 like any method an endpoint does not have
    "EXCEPTION_HANDLER": "api.errors.handle",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "明电收文管理系统 API",
    "DESCRIPTION": "登记、查阅和跟踪明电。错误一律为 RFC 9457 problem details（application/problem+json），"
                   "detail 为中文说明，field 为出错字段，code 供程序判断。",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["api.permissions.HasRole"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "persistAuthorization": False},
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TelegramStateEnum": "telegrams.models.TelegramState", "DeliveryStateEnum": "routing.models.DeliveryState",
        "PrecedenceEnum": "telegrams.models.Precedence", "RoleEnum": "routing.models.Role",
    },
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "api.schema.add_common_errors"],
}
