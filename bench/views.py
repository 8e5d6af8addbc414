"""The `register` benchmark's baseline: a bare Django view on the same stack (gunicorn, every middleware,
session and CSRF check) that inserts one row of the same size as the clerk's form post."""
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.http import require_POST

TABLE = "bench_blob"
CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (id bigserial PRIMARY KEY, body text NOT NULL, at timestamptz NOT NULL)"


@require_POST
def insert_row(request):
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {TABLE} (body, at) VALUES (%s, now())", [request.POST["body"]])
    return HttpResponse(status=204)
