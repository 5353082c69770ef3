"""The references for bench/load.py, served with exactly the same gunicorn settings as
the tool:

- `/`: a bare Flask app returning a constant page (the ceiling);
- `/row/<code>`: the least a page that reads the database can do in the same stack: one
  row by a unique key through Flask-SQLAlchemy (the tool's database, `DATABASE_URL`, its
  own pool settings), put in a small Jinja template. No session, no sign-in, no
  security headers: what any database-backed page of any Flask app pays, for comparing
  the tool's pages with."""

import os

from flask import Flask, abort, render_template_string
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import bindparam, text

app = Flask(__name__)
PAGE = "<!doctype html><title>ok</title><p>" + "x" * 2000

url = os.environ.get("DATABASE_URL", "sqlite://")
if url.startswith("postgresql://"):
    url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
app.config["SQLALCHEMY_DATABASE_URI"] = url
db = SQLAlchemy(app)
ROW = text("SELECT holder_name, issued_at FROM certificate WHERE code = :code").bindparams(
    bindparam("code"))
TEMPLATE = ("<!doctype html><title>{{ name }}</title><h1>{{ name }}</h1>"
            "<p>Issued {{ issued }}</p><p>" + "x" * 2000)


@app.route("/")
def index() -> str:
    return PAGE


@app.route("/row/<code>")
def row(code: str) -> str:
    found = db.session.execute(ROW, {"code": code}).first()
    if found is None:
        abort(404)
    return render_template_string(TEMPLATE, name=found[0], issued=found[1])
