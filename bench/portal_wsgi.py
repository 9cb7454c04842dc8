"""WSGI module of the portal benchmark: the real app plus a bare route, for gunicorn only.

``gunicorn bench.portal_wsgi:app`` serves the application exactly as ``wsgi:app`` does and adds
``/bench/bare``, a view that returns a constant page of about the size of a portal page without
touching the database or a template: the yardstick of what the server, Flask and the app's
request hooks cost on their own. The route exists only here, never in the app.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app import create_app  # noqa: E402
from app.accounts.access import public  # noqa: E402

BARE_PAGE = (
    "<!doctype html><html lang='de'><head><meta charset='utf-8'><title>Bench</title></head>"
    "<body>" + "<p>Veranstaltungen in der Stadt</p>" * 600 + "</body></html>"
).encode()

app = create_app()


@public
def bare():
    """Return the constant page (no database, no template)."""
    return app.response_class(BARE_PAGE, mimetype="text/html")


app.add_url_rule("/bench/bare", "bench_bare", bare)
