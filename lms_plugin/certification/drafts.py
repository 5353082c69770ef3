"""A draft of a programme, rehearsed against everyone's current evidence before it is
published (`lms-plugin programme simulate`, /admin/programmes/rehearse). Nothing is
stored: publishing is `content sync`, which keeps every certificate on the version it
was earned under.

Drafts may be kept with the content, in `certifications/drafts/<name>.yaml` (a folder
`content sync` does not read: only `certifications/*.yaml` are programmes); an admin
picks one by name (`stored_drafts`, `read_stored_draft`), and nothing outside that
folder is ever read."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from ..content.loader import ContentError, ProgrammeContent, load_programme_draft
from ..content.services import content_root, get_catalog
from ..extensions import db
from ..users.models import User
from .clock import now
from .models import ProgrammeEnrolment
from .rehearsal import Rehearsal, rehearse
from .rules import Evidence
from .standing import gather_evidence

MAX_PEOPLE = 10_000  # one organisation's programme; more is refused, not cut short
DRAFTS = Path("certifications") / "drafts"  # in the content folder
MAX_DRAFT_BYTES = 200_000  # as much as the pasted text may hold


class DraftError(Exception):
    """The draft cannot be rehearsed; `problems` say why, each naming its line."""

    def __init__(self, problems: list[ContentError]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


def read_draft(data: bytes, name: str) -> ProgrammeContent:
    """The draft programme in `data`, checked as content is; it must be a new version of a
    programme in use (the rehearsal compares the two)."""
    catalog = get_catalog()
    draft, problems = load_programme_draft(data, name, catalog.modules)
    if draft is None:
        raise DraftError(problems)
    if draft.slug not in catalog.programmes:
        raise DraftError([ContentError(name, 1, (
            f"id {draft.slug!r} is not a programme in use, so nobody's status could change; "
            f"programmes in use: {', '.join(sorted(catalog.programmes)) or 'none'}"))])
    return draft


def _drafts_folder() -> Path:
    return (content_root() / DRAFTS).resolve()


def _stored() -> dict[str, Path]:
    folder = _drafts_folder()
    if not folder.is_dir():
        return {}
    # Only plain files of the folder itself: a link that leads elsewhere is not a draft.
    return {path.name: path for path in sorted(folder.glob("*.yaml"))
            if path.is_file() and path.resolve().parent == folder}


def stored_drafts() -> list[str]:
    """The file names of the drafts kept in certifications/drafts/ of the content."""
    return list(_stored())


def read_stored_draft(name: str) -> tuple[bytes, str]:
    """A stored draft's bytes and its name for messages, by its file name exactly as
    `stored_drafts` lists it; any other name is a LookupError (nothing is read)."""
    path = _stored().get(name)
    if path is None:
        raise LookupError("There is no such stored draft.")
    if path.stat().st_size > MAX_DRAFT_BYTES:
        raise DraftError([ContentError(f"{DRAFTS}/{name}", None, "the file is too large "
                                       "for a programme")])
    return path.read_bytes(), f"{DRAFTS.as_posix()}/{name}"


def rehearse_draft(draft: ProgrammeContent, organisation_id: int | None,
                   at: datetime | None = None) -> Rehearsal[User]:
    """Everyone enrolled in the programme (in one organisation; None: every one, for the
    operator's command line), evaluated under the programme in use and under the draft."""
    current = get_catalog().programmes[draft.slug]
    query = (select(ProgrammeEnrolment).join(User, User.id == ProgrammeEnrolment.user_id)
             .where(ProgrammeEnrolment.programme_slug == draft.slug)
             .order_by(User.name, User.id).limit(MAX_PEOPLE + 1))
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    enrolments = list(db.session.scalars(query))
    if len(enrolments) > MAX_PEOPLE:
        raise DraftError([ContentError(draft.slug, None, (
            f"more than {MAX_PEOPLE} people are enrolled: rehearse per organisation"))])
    evidence: dict[User, Evidence] = {e.user: gather_evidence(e.user, e) for e in enrolments}
    return rehearse(current.document, draft.document, evidence, at or now())
