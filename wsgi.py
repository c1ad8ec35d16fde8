"""WSGI entry point for gunicorn and `flask --app wsgi`."""

from lms.app import create_app

app = create_app()
