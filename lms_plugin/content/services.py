"""Sync content from disk into the database, and read the current catalogue back."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import current_app
from pydantic import BaseModel
from sqlalchemy import func, select

from ..extensions import db
from ..resources import shipped_root
from .loader import (
    ContentError,
    Lesson,
    Module,
    ProgrammeContent,
    QuizContent,
    RolePlayContent,
    Versioned,
    load_content,
)
from .models import ContentVersion
from .programme_schema import Programme
from .schema import LessonFront, ModuleMeta, Quiz, RolePlay


def content_root() -> Path:
    """LMS_PLUGIN_CONTENT_DIR when set; otherwise the content shipped with the tool (the
    project's own folders in a checkout, the packaged copy in an installed wheel)."""
    configured = current_app.config.get("LMS_PLUGIN_CONTENT_DIR")
    return Path(configured) if configured else shipped_root()


@dataclass
class SyncReport:
    errors: list[ContentError] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _lessons_payload(lessons: tuple[Lesson, ...]) -> list[dict[str, Any]]:
    return [{"number": ls.number, "slug": ls.slug, "path": ls.path, "body": ls.body,
             "meta": ls.meta.model_dump(mode="json")} for ls in lessons]


def _lessons_from(data: list[dict[str, Any]]) -> tuple[Lesson, ...]:
    return tuple(
        Lesson(d["number"], d["slug"], LessonFront.model_validate(d["meta"]), d["body"], d["path"])
        for d in data
    )


def _module_payload(module: Module) -> str:
    payload: dict[str, Any] = {
        "meta": module.meta.model_dump(mode="json"),
        "lessons": _lessons_payload(module.lessons),
    }
    if module.translations:  # absent without one: a payload synced before stays the same
        payload["translations"] = {language: _lessons_payload(lessons)
                                   for language, lessons in module.translations.items()}
    return json.dumps(payload)


def _module_from(slug: str, version: str, payload: str) -> Module:
    data = json.loads(payload)
    translations = {language: _lessons_from(lessons)
                    for language, lessons in data.get("translations", {}).items()}
    return Module(slug, ModuleMeta.model_validate(data["meta"]), _lessons_from(data["lessons"]),
                  version, translations)


def sync_content(root: Path | None = None) -> SyncReport:
    """Validate everything on disk; only if all of it is valid, make it current. Flushes;
    the caller commits. Invalid content changes nothing: the last good version serves on."""
    bundle, errors = load_content(root or content_root())
    report = SyncReport(errors=errors)
    if errors:
        return report
    wanted: dict[tuple[str, str], tuple[str, str]] = {}
    for module in bundle.modules.values():
        wanted[("module", module.slug)] = (module.version, _module_payload(module))
    documents: tuple[tuple[str, Mapping[str, Versioned[BaseModel]]], ...] = (
        ("quiz", bundle.quizzes), ("programme", bundle.programmes),
        ("roleplay", bundle.roleplays))
    for kind, contents in documents:
        for content in contents.values():
            wanted[(kind, content.slug)] = (
                content.version, json.dumps(content.document.model_dump(mode="json")))
    now = datetime.now(UTC)
    for row in db.session.scalars(select(ContentVersion).where(ContentVersion.is_current)):
        if (row.kind, row.slug) not in wanted:
            row.is_current = False
            report.retired.append(f"{row.kind} {row.slug}")
    for (kind, slug), (version, payload) in sorted(wanted.items()):
        rows = list(db.session.scalars(
            select(ContentVersion).where(ContentVersion.kind == kind, ContentVersion.slug == slug)
        ))
        target = next((r for r in rows if r.version == version), None)
        if target is not None and target.is_current:
            report.unchanged.append(f"{kind} {slug}")
            continue
        for row in rows:
            row.is_current = False
        if target is None:
            target = ContentVersion(kind=kind, slug=slug, version=version, payload=payload)
            db.session.add(target)
        target.is_current = True
        target.synced_at = now
        report.added.append(f"{kind} {slug} {version}")
    db.session.flush()
    forget_catalog()
    return report


@dataclass(frozen=True)
class Catalog:
    modules: dict[str, Module]
    quizzes: dict[str, QuizContent]
    programmes: dict[str, ProgrammeContent] = field(default_factory=dict)
    roleplays: dict[str, RolePlayContent] = field(default_factory=dict)

    def ordered_modules(self) -> list[Module]:
        return sorted(self.modules.values(), key=lambda m: (m.meta.order, m.slug))


CACHE_SECONDS = 5.0


def _cache() -> dict[str, Any]:
    return current_app.extensions.setdefault(
        "content_catalog", {"key": None, "catalog": None, "checked": -CACHE_SECONDS}
    )


def get_catalog() -> Catalog:
    """The current content, rebuilt when a sync (in any process) has changed it. Checked
    at most every few seconds, so a page view rarely costs a query for it."""
    cache = _cache()
    now = time.monotonic()
    if cache["catalog"] is not None and now - cache["checked"] < CACHE_SECONDS:
        return cache["catalog"]
    key = tuple(db.session.execute(
        select(func.count(ContentVersion.id), func.max(ContentVersion.synced_at))
        .where(ContentVersion.is_current)
    ).one())
    if key != cache["key"]:
        parsed: dict[str, dict[str, Any]] = {
            kind: {} for kind in ("module", "quiz", "programme", "roleplay")}
        for row in db.session.scalars(select(ContentVersion).where(ContentVersion.is_current)):
            if row.kind in parsed:
                parsed[row.kind][row.slug] = _parsed(row.kind, row.slug, row.version,
                                                     row.payload)
        modules, quizzes = parsed["module"], parsed["quiz"]
        programmes, roleplays = parsed["programme"], parsed["roleplay"]
        cache.update(key=key, catalog=Catalog(modules, quizzes, programmes, roleplays))
    cache["checked"] = now
    return cache["catalog"]


@lru_cache(maxsize=256)
def _parsed(kind: str, slug: str, version: str, payload: str) -> Any:
    """A stored version, validated once per process (the models are frozen, so every app
    and request can share them; a changed payload is a new key)."""
    if kind == "module":
        return _module_from(slug, version, payload)
    return Versioned(slug, DOCUMENTS[kind].model_validate_json(payload), version)


# The documents stored whole as JSON, by kind (modules are stored with their lessons).
DOCUMENTS: dict[str, type[BaseModel]] = {
    "quiz": Quiz, "programme": Programme, "roleplay": RolePlay}


def forget_catalog() -> None:
    """After a sync in this process: read the catalogue afresh on next use."""
    _cache().update(key=None, catalog=None, checked=-CACHE_SECONDS)


def get_quiz_version(slug: str, version: str) -> Quiz | None:
    """Any version ever synced: past attempts are graded and reviewed against theirs."""
    row = db.session.scalars(
        select(ContentVersion).where(
            ContentVersion.kind == "quiz", ContentVersion.slug == slug,
            ContentVersion.version == version,
        )
    ).first()
    return Quiz.model_validate_json(row.payload) if row else None
