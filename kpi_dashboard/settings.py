"""Settings for the territory sales KPI dashboard, read from the environment.

One module serves every environment: each value has a working default for a
laptop (SQLite, tasks run eagerly, local-memory cache) and production refuses to
start without what it cannot guess (a real ``SECRET_KEY``). Every variable is
listed in the README.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env file is a convenience for development; the environment wins.
env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-dev-only-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. DJANGO_DEBUG is off, so the server refuses to start "
            "with a built-in key: set SECRET_KEY to a long random string "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "treebeard",
    "django_celery_beat",
    "rest_framework",
    # --- REST API (metrics/api): tokens for scripts, filters, OpenAPI schema with local docs assets
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # ---
    "territories",
    "reps",
    "sales",
    "metrics",
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
]

ROOT_URLCONF = "kpi_dashboard.urls"

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
                "kpi_dashboard.context_processors.role",
            ],
        },
    },
]

WSGI_APPLICATION = "kpi_dashboard.wsgi.application"

# --- Database -----------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60 if not DEBUG else 0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Covering indexes (INCLUDE) speed up PostgreSQL; SQLite builds them without the extra columns, as it should.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
DATABASES["default"].setdefault("TEST", {})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery ------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kpi",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # Per process; room for the snapshot reads of every page (the default 300 entries is a handful of pages).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}}
    # No broker: tasks run in-process, so the demo needs nothing but Python.
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Auth -------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- I18N / time ---------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files ------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Security (production) ------------------------------------------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"

# --- Logging -----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # One line per task is noise when tasks run eagerly inside web requests and commands.
        "celery.app.trace": {"level": "WARNING"},
    },
}

# --- REST framework (the API under /api/v1/, metrics/api) ---------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous request then gets 401 with a WWW-Authenticate header, not 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: no browsable HTML pages, so no error ever comes back as HTML.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "metrics.api.exceptions.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "metrics.api.throttling.AnonymousThrottle",
        "metrics.api.throttling.TokenThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="60/minute"),
        "token": env.str("API_THROTTLE_TOKEN", default="1200/minute"),
    },
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Territory KPI API",
    "DESCRIPTION": (
        "The KPIs of spec/kpis.md, read from the stored snapshots, scoped to what the caller may see. "
        "Authenticate with a session (the pages) or `Authorization: Token <key>` (tokens are created in the admin). "
        'Every 4xx answer is `{"error": {"code", "message", "fields"}}`; out-of-scope objects answer 404.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and ReDoc assets come from drf-spectacular-sidecar's static files, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No call to the public swagger.io validator either.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "metrics.api.schema.error_responses_add",
    ],
}

# --- The product's own settings (see docs in spec/kpis.md and the README) ---------------
_kpi_as_of = env.str("KPI_AS_OF", default="")
try:
    KPI_AS_OF = datetime.date.fromisoformat(_kpi_as_of) if _kpi_as_of else None  # None means "today"
except ValueError:
    raise ImproperlyConfigured(f"KPI_AS_OF must be a date YYYY-MM-DD, got {_kpi_as_of!r}.") from None
FISCAL_YEAR_START_MONTH = env.int("FISCAL_YEAR_START_MONTH", default=1)
if not 1 <= FISCAL_YEAR_START_MONTH <= 12:
    raise ImproperlyConfigured(f"FISCAL_YEAR_START_MONTH must be a month number 1..12, got {FISCAL_YEAR_START_MONTH}.")
KPI_CURRENCY = env.str("KPI_CURRENCY", default="USD")
KPI_MIN_SAMPLE = env.int("KPI_MIN_SAMPLE", default=30)
CHURN_INACTIVITY_DAYS = env.int("CHURN_INACTIVITY_DAYS", default=365)
FOLLOW_UP_DAYS = env.int("FOLLOW_UP_DAYS", default=7)
KPI_RECOMPUTE_HOUR_UTC = env.int("KPI_RECOMPUTE_HOUR_UTC", default=2)
# Changes within this many seconds share one recompute run.
KPI_RECOMPUTE_DEBOUNCE_SECONDS = env.int("KPI_RECOMPUTE_DEBOUNCE_SECONDS", default=60)
# Pages keep snapshot reads in the cache until the next recompute commits (kpi_dashboard/snapshot_cache.py);
# this bounds how long an entry of a replaced set lingers. 0 turns the cache off.
KPI_SNAPSHOT_CACHE_SECONDS = env.int("KPI_SNAPSHOT_CACHE_SECONDS", default=3600)

# --- Hardening: login throttling, Content-Security-Policy, audit log, 503 during a database outage ---------
# Kept together so the security posture reads in one place. The cookie and HSTS flags are above.
INSTALLED_APPS += [
    "axes",  # django-axes: failed logins per username and address, lock-out after AXES_FAILURE_LIMIT
    "kpi_dashboard",  # the audit log (kpi_dashboard/models.py): it spans every app, so it lives in the project app
]
MIDDLEWARE.insert(MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1, "csp.middleware.CSPMiddleware")
MIDDLEWARE += [
    "kpi_dashboard.middleware.ApiDocsStylePolicyMiddleware",
    # Admin query strings with a NUL or an overflowing date-hierarchy step answer 400, not Django admin's 500.
    "kpi_dashboard.middleware.AdminQueryGuardMiddleware",
    # A view that hits a lost database answers a plain 503 page instead of a 500 traceback page.
    "kpi_dashboard.middleware.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: it turns a lock-out raised during login into the lock-out response.
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "kpi_dashboard.auth_backends.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Lock the pair: one user guessing from one address; a typo elsewhere does not lock the real user out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGGING["loggers"]["axes"] = {"level": "WARNING"}  # one INFO line per login is noise
# In production the site sits behind one proxy (SECURE_PROXY_SSL_HEADER): the client address is the
# one that proxy appended to X-Forwarded-For, not an entry the client could have written itself.
if not DEBUG:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    AXES_IPWARE_PROXY_COUNT = env.int("DJANGO_PROXY_COUNT", default=1)

# Only this site's own files may run as script or be loaded as style, font, image or XHR:
# Plotly is served from static/vendor/plotly, the admin's scripts are static files, nothing is inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # The two API docs pages each carry one fixed <style> block: allowed by their hashes, nothing else inline.
        "style-src": [
            "'self'",
            "'sha256-MMpT0iDxyjALd9PdfepImGX3DBfJPXZ4IlDWdPAgtn0='",  # drf-spectacular swagger_ui.html
            "'sha256-wcUmIhEMXGzIzVf4I6oJZcVSc+RuUXvqxPU+FLQyzZc='",  # metrics/templates/api/redoc.html
        ],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],  # ReDoc (API docs) runs its search in a blob worker
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
