"""The performance suite's yardstick: a bare Flask page rendering 50 rows, no database.

    gunicorn -c gunicorn.conf.py --pythonpath bench --workers 2 --threads 4 bare_app:app

Served by bench/perf_suite.py exactly as the app is (same gunicorn settings, same run), so the
50-row list page from the database is measured against it: the issue's target is at least half
of this page's throughput."""
from __future__ import annotations

from flask import Flask, render_template
from jinja2 import DictLoader

app = Flask(__name__)

ROWS = [{"number": f"KDP-2026-{n:05d}", "kind": "Ganda" if n % 3 else "Anomali", "name": f"WARGA NOMOR {n}",
         "desa": "Desa Contoh", "status": "Terbuka", "age": n % 40} for n in range(1, 51)]

PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>50 baris</title></head>
<body><main><h1>Daftar kasus</h1>
<table><thead><tr><th>Nomor</th><th>Jenis</th><th>Nama</th><th>Desa</th><th>Status</th><th>Umur</th></tr></thead>
<tbody>{% for row in rows %}<tr><td><a href="/kasus/{{ row.number }}">{{ row.number }}</a></td><td>{{ row.kind }}</td>
<td>{{ row.name }}</td><td>{{ row.desa }}</td><td>{{ row.status }}</td><td>{{ row.age }} hari</td></tr>
{% endfor %}</tbody></table></main></body></html>"""


app.jinja_loader = DictLoader({"rows.html": PAGE})   # compiled once and cached, as a template file is


@app.get("/")
def rows():
    return render_template("rows.html", rows=ROWS)
