# Production image: web (gunicorn + whitenoise), worker, ocr and beat all run from it. The OCR extra
# (requirements-ocr.txt, about 350 MB) is installed: the web process renders PDF pages for the scan viewer with it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# A CJK font, or Chinese renders as empty boxes in PDFs; pango for WeasyPrint; curl for healthchecks.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-noto-cjk fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt requirements-ocr.txt ./
RUN pip install -r requirements.txt -r requirements-ocr.txt
COPY . .
# collectstatic needs settings to load; these throwaway values never reach a running container.
RUN DJANGO_DEBUG=0 DJANGO_SECRET_KEY=build TELEGRAM_DATA_KEYS=build AUDIT_SIGNING_KEY=build \
    python manage.py collectstatic --noinput -v 0 \
 && useradd --system --uid 1000 --home /app telegram && mkdir -p /app/var/scans /app/var/intake /app/witness && chown -R telegram /app/var /app/witness
USER telegram
EXPOSE 8000
CMD ["gunicorn", "telegram_office.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
