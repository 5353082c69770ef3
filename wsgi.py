"""WSGI entry point: gunicorn wsgi:app"""

from lms_plugin import create_app
from lms_plugin.serve import settle

app = create_app()
settle()  # start-up's objects out of the garbage collector's way (see settle)
