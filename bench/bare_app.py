"""The ceiling for bench/load.py: a bare Flask app returning a constant page, served with
exactly the same gunicorn settings as the tool."""

from flask import Flask

app = Flask(__name__)
PAGE = "<!doctype html><title>ok</title><p>" + "x" * 2000


@app.route("/")
def index() -> str:
    return PAGE
