import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telegram_office.settings")
application = get_wsgi_application()
get_resolver().url_patterns  # noqa: B018 — every view module imported now, not by a user's first request
# What is loaded by now lives as long as the process. A full collection walks all of it (~110,000 objects,
# 23–32 ms measured here) and pauses whichever request runs; frozen, later full collections walk only what
# requests leave behind (see bench/README.md).
gc.freeze()
