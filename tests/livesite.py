"""A real HTTP server on 127.0.0.1 and headless Chromium for browser tests."""

import os
import threading
from contextlib import contextmanager

from werkzeug.serving import make_server

from app import create_app
from app.extensions import db
from config import TestConfig

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def live_server(database_url: str, **overrides):
    """Serve a fresh app (settings overridden by ``overrides``) on a free port; yield its URL."""
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=database_url, **overrides)
    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def _buffered(app):
    """Return the app with each response body read (and its file closed) before it is sent.

    Werkzeug's development server leaves a response's file open when the browser drops the
    connection mid-response (its clean-up can fail before it closes the body), and the
    leaked file surfaces later as a ResourceWarning in an unrelated test. No response of the
    app is an endless stream, so reading each one whole first costs nothing here.
    """

    def application(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    return application


@contextmanager
def chromium_page():
    """Yield a Playwright page in Debian's headless Chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="de-DE")
            yield page
        finally:
            browser.close()
