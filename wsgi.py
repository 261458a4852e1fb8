"""The WSGI entry point for gunicorn: ``gunicorn -w 4 -b 127.0.0.1:8000 wsgi:app``."""

from minitendr import create_app

app = create_app()
