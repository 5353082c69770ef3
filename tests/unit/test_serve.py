"""`lms-plugin serve`'s worker: the app it loads is out of the garbage collector's sight
(`serve.settle`), so a full collection does not scan start-up's objects on every other
large request."""

from __future__ import annotations

import gc

from lms_plugin.serve import _Server, gunicorn_options


def test_a_worker_loads_the_app_out_of_the_collectors_sight(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_PLUGIN_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    server = _Server(gunicorn_options("127.0.0.1", 0, workers=1))
    try:
        app = server.load()
        tracked = gc.get_objects()  # the collector's generations; frozen objects are not
        assert not any(found is app for found in tracked)
        assert not any(found is app.url_map for found in tracked)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()  # the rest of this test process collects as usual
