"""Certification programme rules as data (certifications/<slug>.yaml). Pure."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", min_length=1, max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Hours = Annotated[float, Field(ge=0, le=100_000)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequiredModule(Strict):
    module: Slug
    min_quiz_score: float = Field(default=80, ge=0, le=100)


class TrainingHours(Strict):
    """Structured training beyond the tool's modules (e.g. a 46-hour course by domain)."""

    total: Hours = 0
    domains: dict[Slug, Hours] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _domains_fit(self) -> TrainingHours:
        if sum(self.domains.values()) > self.total and self.total:
            raise ValueError("the domain minimums add up to more than the total")
        return self


class Practice(Strict):
    supervised_hours: Hours = 0  # approved practice
    supervision_hours: Hours = 0  # approved supervision received
    counts: list[Slug] = Field(min_length=1)  # activity kinds that count as practice
    supervision_kinds: list[Slug] = Field(default_factory=lambda: ["supervision"])
    excluded: list[Slug] = Field(default_factory=list)  # kinds that never count
    distinct_supervisors: int = Field(default=1, ge=0)

    @model_validator(mode="after")
    def _kinds(self) -> Practice:
        overlap = (set(self.counts) | set(self.supervision_kinds)) & set(self.excluded)
        if overlap:
            raise ValueError(f"kinds both counted and excluded: {sorted(overlap)}")
        return self

    @property
    def all_kinds(self) -> list[str]:
        return [*self.counts, *self.supervision_kinds, *self.excluded]


class SupervisorQualification(Strict):
    roles: list[Slug] = Field(default_factory=lambda: ["mentor", "admin"])
    certified_in: Slug | None = None  # or holds a current certificate in this programme


class Attestation(Strict):
    id: Slug
    title: Text
    text: Text


class Renewal(Strict):
    window_days: int = Field(default=90, ge=0)  # renewal opens this long before expiry
    grace_days: int = Field(default=30, ge=0)  # and stays open this long after
    hours: Hours = 0  # continuing education in the current period
    sub_minimums: dict[Slug, Hours] = Field(default_factory=dict)  # e.g. {ethics: 6}

    @model_validator(mode="after")
    def _fits(self) -> Renewal:
        if sum(self.sub_minimums.values()) > self.hours:
            raise ValueError("renewal sub-minimums add up to more than the hours required")
        return self


class ObservedPractice(Strict):
    """Role-plays a supervisor observes and marks against the script's rubric: the number
    of different scripts that must be marked competent on every criterion."""

    competent_roleplays: int = Field(ge=1, le=20)
    roleplays: list[Slug] = Field(min_length=1)  # scripts that count (roleplays/<id>.yaml)

    @model_validator(mode="after")
    def _enough(self) -> ObservedPractice:
        if len(set(self.roleplays)) != len(self.roleplays):
            raise ValueError("a role-play is listed twice")
        if self.competent_roleplays > len(self.roleplays):
            raise ValueError(f"competent_roleplays ({self.competent_roleplays}) is more than "
                             f"the {len(self.roleplays)} role-plays listed")
        return self


class Provisional(Strict):
    deadline_days: int = Field(default=180, ge=1)  # from training completed to certified
    extension_days: int = Field(default=90, ge=0)
    max_extensions: int = Field(default=1, ge=0, le=1)


class Reenrolment(Strict):
    """What counts again when someone whose certification lapsed enrols afresh. Completed
    modules, signed attestations and waivers carry over; approved hours count only if
    they were done at most `hours_within_days` before re-enrolling (0: none do)."""

    hours_within_days: int = Field(default=0, ge=0, le=3650)


class Programme(Strict):
    id: Slug
    title: Text
    description: Text
    required_modules: list[RequiredModule] = Field(default_factory=list)
    training_hours: TrainingHours = TrainingHours()
    practice: Practice
    observed_practice: ObservedPractice | None = None
    supervisor: SupervisorQualification = SupervisorQualification()
    attestations: list[Attestation] = Field(default_factory=list)
    validity_months: int = Field(ge=1, le=120)
    renewal: Renewal = Renewal()
    provisional: Provisional = Provisional()
    reminder_days: list[int] = Field(default_factory=lambda: [90, 30, 7])
    waivable: list[Slug] = Field(default_factory=list)  # requirement ids an admin may waive
    reenrolment: Reenrolment = Reenrolment()

    @model_validator(mode="after")
    def _ids(self) -> Programme:
        ids = [a.id for a in self.attestations]
        if len(ids) != len(set(ids)):
            raise ValueError("attestation ids must be unique")
        modules = [m.module for m in self.required_modules]
        if len(modules) != len(set(modules)):
            raise ValueError("a module is required twice")
        return self
