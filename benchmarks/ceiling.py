"""The framework's ceiling: a bare Flask app that returns a 21 KB page.

``make bench`` serves it under the same gunicorn settings as the platform and compares.
Alone: ``.venv/bin/gunicorn -w 2 -k gthread --threads 4 -b 127.0.0.1:5190 benchmarks.ceiling:app``
"""

from flask import Flask

PAGE = ("<!doctype html><html lang=de><title>Ceiling</title><body>"
        + "<p>Smart City Münster – Beteiligung. " * 600 + "</body></html>")[:21 * 1024]

app = Flask(__name__)


@app.get("/")
def page():
    return PAGE
