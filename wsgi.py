"""WSGI entry point: gunicorn wsgi:app"""

from lms_plugin import create_app

app = create_app()
