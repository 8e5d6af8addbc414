"""Settings for benchmark runs: the product's settings, plus the baseline view's URLconf (bench/urls.py), so
the baseline is served by the same gunicorn, middleware and database as the product, but is never part of the
product's own URLs."""
from telegram_office.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
# Production (DEBUG off) uses the manifest storage, which needs `collectstatic` first; the measured requests
# render no static URL that matters, so the plain storage spares the benchmark that step.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
