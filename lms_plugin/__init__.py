"""lms_plugin: an LTI 1.3 tool for workplace mental-health training and peer-supporter
certification."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, render_template
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from . import chrome, dates, i18n, inputs, resilience
from . import config as config_module
from .extensions import csrf, db, limiter, login_manager, migrate, retry_after
from .resources import shipped_root
from .urls import remembered_url_for


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=os.environ.get("LMS_PLUGIN_INSTANCE_PATH") or None)
    app.config.update(config_module.load(app.instance_path))
    if config:
        app.config.update(config)
    if app.config["LMS_PLUGIN_DEMO"]:
        app.config["LMS_PLUGIN_ALLOW_PRIVATE_URLS"] = True  # the demo LMS is this server
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"],
                                     app.config["LMS_PLUGIN_DB_APPLICATION_NAME"]),
    )
    os.makedirs(app.instance_path, exist_ok=True)
    dates.init_app(app)
    i18n.init_app(app)
    chrome.init_app(app)  # every page's header and footer, kept per variant
    inputs.init_app(app)  # before any blueprint: the bounded <int:...> converter

    db.init_app(app)
    migrate.init_app(app, db, directory=str(shipped_root() / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")
    app.config.setdefault("RATELIMIT_ENABLED", bool(app.config["LMS_PLUGIN_RATE_LIMITS"]))
    app.config.setdefault("RATELIMIT_KEY_PREFIX", app.config["LMS_PLUGIN_REDIS_PREFIX"] + "rl")
    # Redis down: limit in memory meanwhile; the request then gets our clear 503 page.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    app.after_request(retry_after)

    from . import cookies, health, observability, security, store

    observability.init_app(app)
    security.init_app(app)
    store.init_app(app)
    cookies.init_app(app)

    from . import (
        admin,
        certification,
        content,
        jobs,
        lti,
        notifications,
        privacy,
        quiz,
        reporting,
        training,
    )
    from .users import init_app as users_init

    users_init(app)
    content.init_app(app)
    jobs.init_app(app)
    certification.init_app(app)
    reporting.init_app(app)
    notifications.init_app(app)
    admin.init_app(app)
    privacy.init_app(app)
    quiz.init_app(app)
    lti.init_app(app)
    training.init_app(app)
    app.register_blueprint(health.bp)

    if app.config["LMS_PLUGIN_DEMO"]:
        from . import demo

        demo.init_app(app)

    from . import cli

    cli.init_app(app)

    if app.config["LMS_PLUGIN_PROXY_FIX"]:
        hops = int(app.config["LMS_PLUGIN_PROXY_FIX"])
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        return render_template("errors/http.html", error=exc), exc.code or 500

    from .store import StoreUnavailable

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(exc: StoreUnavailable) -> tuple[str, int, dict[str, str]]:
        app.logger.error("shared store unavailable: %s", exc)
        return render_template("errors/unavailable.html"), 503, {
            "Retry-After": str(resilience.RETRY_AFTER_SECONDS)}

    resilience.init_app(app)  # a lost database connection: a read again, or a 503
    app.jinja_env.globals["url_for"] = remembered_url_for

    return app

