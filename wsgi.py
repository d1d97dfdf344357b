"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``."""

from participation import create_app

app = create_app()
