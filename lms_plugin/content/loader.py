"""Load modules/ (with modules/sources.yaml), quizzes/, roleplays/ and certifications/
from disk and validate them, naming the file and line of each problem. Pure: no Flask, no
database."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .programme_schema import Programme
from .schema import (
    Bibliography,
    LessonFront,
    ModuleFile,
    ModuleMeta,
    Quiz,
    RolePlay,
    Source,
)

LESSON_FILE = re.compile(r"^(\d{2})-([a-z0-9-]+)\.md$")
SLUG = re.compile(r"^[a-z0-9-]+$")


@dataclass(frozen=True)
class ContentError:
    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str
    meta: LessonFront
    body: str
    path: str


@dataclass(frozen=True)
class Module:
    slug: str
    meta: ModuleMeta
    lessons: tuple[Lesson, ...]
    version: str
    # Translated lessons by language ("es"): `lessons/<lang>/<the English file name>`, the
    # same files with the same ids (load_content checks); English is the fallback.
    translations: Mapping[str, tuple[Lesson, ...]] = field(default_factory=dict)

    def localized(self, language: str) -> Module:
        """The module with its lessons in that language where a translation has them."""
        translated = {ls.number: ls for ls in self.translations.get(language, ())}
        if not translated:
            return self
        return replace(self, lessons=tuple(translated.get(ls.number, ls)
                                           for ls in self.lessons))

    def lesson_index(self, number: int) -> int | None:
        """Where the lesson numbered `number` stands in `lessons`, if there is one."""
        return next((i for i, ls in enumerate(self.lessons) if ls.number == number), None)

    def language_of(self, lesson: Lesson, language: str) -> str:
        """The language a lesson of `localized(language)` is written in."""
        return language if lesson in self.translations.get(language, ()) else "en"


# A translation's folder: a two-letter ISO 639-1 code other than English (the source).
TRANSLATION_DIR = re.compile(r"^[a-z]{2}$")


Document = TypeVar("Document", covariant=True)


@dataclass(frozen=True)
class Versioned(Generic[Document]):
    """A content document as loaded: its slug, the parsed document, and the version (a hash
    of its source) that learners' records name."""

    slug: str
    document: Document
    version: str


QuizContent = Versioned[Quiz]
ProgrammeContent = Versioned[Programme]
RolePlayContent = Versioned[RolePlay]


@dataclass
class ContentBundle:
    modules: dict[str, Module] = field(default_factory=dict)
    quizzes: dict[str, QuizContent] = field(default_factory=dict)
    programmes: dict[str, ProgrammeContent] = field(default_factory=dict)
    roleplays: dict[str, RolePlayContent] = field(default_factory=dict)
    bibliography: dict[str, Source] = field(default_factory=dict)


# libyaml's safe loader where PyYAML was built with it (the wheels are): the same documents
# and errors as the pure-Python one, about ten times faster on the shipped content.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _node_line(root: yaml.Node | None, loc: tuple[Any, ...], offset: int) -> int | None:
    node = root
    if node is None:
        return None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == key:
                    node = v
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                break
            node = node.value[key]
        else:
            break
    return node.start_mark.line + 1 + offset


def _loc_text(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _validate(
    model: type[BaseModel], text: str, path: str, errors: list[ContentError], offset: int = 0
) -> Any:
    try:
        data = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 + offset if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        errors.append(ContentError(path, line, f"not valid YAML: {problem}"))
        return None
    if not isinstance(data, dict):
        errors.append(ContentError(path, 1 + offset, "expected a mapping of fields"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # The node tree, for the line of each error, only when there is an error.
        node = yaml.compose(text, Loader=_SafeLoader)
        for err in exc.errors():
            loc = tuple(err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            where = _loc_text(loc)
            errors.append(
                ContentError(
                    path, _node_line(node, loc, offset), f"{where}: {message}" if where else message
                )
            )
        return None


def _version(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def _split_front_matter(text: str) -> tuple[str, str] | None:
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 4)
    if end == -1:
        return None
    return text[4 : end + 1], text[end + 5 :]


# The heading every lesson's exercise starts with, by language ("## Try it" in English).
EXERCISE_HEADING = {"en": "## Try it", "es": "## Pruébalo"}


def _load_lesson(path: Path, rel: str, errors: list[ContentError],
                 language: str = "en") -> Lesson | None:
    match = LESSON_FILE.match(path.name)
    if not match:
        errors.append(ContentError(rel, None, "lesson files are named NN-<slug>.md (01-intro.md)"))
        return None
    text = path.read_text(encoding="utf-8")
    split = _split_front_matter(text)
    if split is None:
        errors.append(
            ContentError(rel, 1, "a lesson starts with YAML front matter between --- lines")
        )
        return None
    front_text, body = split
    meta = _validate(LessonFront, front_text, rel, errors, offset=1)
    if meta is None:
        return None
    if not body.strip():
        errors.append(ContentError(rel, None, "the lesson has no text after its front matter"))
        return None
    heading = EXERCISE_HEADING.get(language, EXERCISE_HEADING["en"])
    if heading not in body:
        errors.append(ContentError(rel, None, f'every lesson ends with a "{heading}" exercise'))
    return Lesson(int(match.group(1)), match.group(2), meta, body, rel)


def load_programme_draft(data: bytes, name: str, modules: Iterable[str]
                         ) -> tuple[ProgrammeContent | None, list[ContentError]]:
    """A programme file that is not (yet) content, e.g. a draft an admin uploads to
    rehearse: checked as `load_content` checks `certifications/<name>` (YAML, schema,
    required modules among `modules`), with its version. Nothing is stored."""
    errors: list[ContentError] = []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None, [ContentError(name, None, "not UTF-8 text: save the file as UTF-8")]
    programme = _validate(Programme, text, name, errors)
    if programme is None:
        return None, errors
    known = set(modules)
    errors += [ContentError(name, None, f"required module {r.module!r} does not exist")
               for r in programme.required_modules if r.module not in known]
    if errors:
        return None, errors
    return ProgrammeContent(programme.id, programme, _version(data)), []
BIBLIOGRAPHY = "modules/sources.yaml"  # one shared bibliography; modules list its ids


def _load_bibliography(root: Path, errors: list[ContentError]) -> dict[str, Source]:
    path = root / BIBLIOGRAPHY
    if not path.exists():
        return {}
    found = _validate(Bibliography, path.read_text(encoding="utf-8"), BIBLIOGRAPHY, errors)
    return {s.id: s for s in found.sources} if found is not None else {}


def _resolve_sources(raw: ModuleFile, bibliography: dict[str, Source], rel: str,
                     errors: list[ContentError]) -> ModuleMeta | None:
    """module.yaml's source ids, looked up in sources.yaml (one shared bibliography)."""
    sources = []
    for entry in raw.sources:
        if isinstance(entry, Source):
            if entry.id in bibliography:
                errors.append(ContentError(rel, None, f"source {entry.id!r} is in "
                                           f"{BIBLIOGRAPHY}: list it by its id only"))
            sources.append(entry)
        elif entry in bibliography:
            sources.append(bibliography[entry])
        else:
            errors.append(ContentError(rel, None, f"source {entry!r} is not in {BIBLIOGRAPHY}"))
    fields = raw.model_dump(exclude={"sources"})
    try:
        return ModuleMeta.model_validate({**fields, "sources": sources})
    except ValidationError as exc:
        errors += [ContentError(rel, None, e["msg"].removeprefix("Value error, "))
                   for e in exc.errors()]
        return None


def _check_audiences(module: Module, errors: list[ContentError]) -> None:
    for lesson in module.lessons:
        if lesson.meta.audience not in (None, module.meta.audience):
            errors.append(ContentError(
                lesson.path, None, f"audience: {lesson.meta.audience} is not its module's "
                f"({module.meta.audience}); a lesson is for the module's audience"))


M = TypeVar("M", bound=BaseModel)


def _documents(root: Path, folder: str, model: type[M], errors: list[ContentError]
               ) -> Iterator[tuple[str, M, bytes]]:
    """Each `folder/*.yaml` that is a valid `model`: its path (for messages), the document
    and its bytes (for its version). An id that is not the file's name is an error."""
    for path in sorted((root / folder).glob("*.yaml")):
        rel = f"{folder}/{path.name}"
        raw = path.read_bytes()
        document = _validate(model, raw.decode("utf-8"), rel, errors)
        if document is None:
            continue
        if document.id != path.stem:
            errors.append(ContentError(rel, 1, f"id {document.id!r} must match the file name"))
        yield rel, document, raw


def _load_roleplays(root: Path, bundle: ContentBundle, errors: list[ContentError]) -> None:
    for _rel, roleplay, raw in _documents(root, "roleplays", RolePlay, errors):
        bundle.roleplays[roleplay.id] = RolePlayContent(roleplay.id, roleplay, _version(raw))


def _check_programme(rel: str, programme: Programme, bundle: ContentBundle,
                     errors: list[ContentError]) -> None:
    required = {r.module for r in programme.required_modules}
    for slug in sorted(required - set(bundle.modules)):
        errors.append(ContentError(rel, None, f"required module {slug!r} does not exist"))
    if required:  # a certification requires the peer-supporter material it certifies
        for module in bundle.modules.values():
            if module.meta.audience == "peer_supporters" and not module.meta.refresher \
                    and module.slug not in required:
                errors.append(ContentError(
                    rel, None, f"module {module.slug!r} ({module.meta.audience}) is on the "
                    "peer-supporter path but not in required_modules"))
    observed = programme.observed_practice
    for slug in observed.roleplays if observed else []:
        if slug not in bundle.roleplays:
            errors.append(ContentError(rel, None, f"observed_practice: role-play {slug!r} has "
                                       f"no roleplays/{slug}.yaml"))


def _load_translations(module_dir: Path, rel_dir: str, lessons: list[Lesson],
                       raw: list[bytes], errors: list[ContentError]
                       ) -> dict[str, tuple[Lesson, ...]]:
    """Each `lessons/<lang>/` folder: the English lessons' files, translated. A translation
    has exactly the English file names, and each lesson keeps its English id (progress is
    kept by id, whichever language it was read in)."""
    english = {Path(ls.path).name: ls for ls in lessons}
    found: dict[str, tuple[Lesson, ...]] = {}
    for folder in sorted(p for p in (module_dir / "lessons").glob("*") if p.is_dir()):
        rel_folder = f"{rel_dir}/lessons/{folder.name}"
        if not TRANSLATION_DIR.match(folder.name) or folder.name == "en":
            errors.append(ContentError(rel_folder, None,
                                       "a translation's folder is a two-letter language code "
                                       "other than en (lessons/es/)"))
            continue
        translated: list[Lesson] = []
        names = set()
        for path in sorted(folder.glob("*.md")):
            rel = f"{rel_folder}/{path.name}"
            names.add(path.name)
            raw.append(f"{folder.name}/{path.name}".encode() + b"\0" + path.read_bytes())
            original = english.get(path.name)
            if original is None:
                errors.append(ContentError(rel, None, f"there is no English lesson "
                                           f"{rel_dir}/lessons/{path.name} to translate"))
                continue
            lesson = _load_lesson(path, rel, errors, folder.name)
            if lesson is None:
                continue
            if lesson.meta.id != original.meta.id:
                errors.append(ContentError(rel, 2, f"lesson id {lesson.meta.id!r} must be the "
                                           f"English lesson's, {original.meta.id!r}"))
                continue
            translated.append(lesson)
        for name in sorted(set(english) - names):
            errors.append(ContentError(rel_folder, None,
                                       f"the {folder.name!r} translation has no {name}: "
                                       "translate every lesson of the module"))
        found[folder.name] = tuple(sorted(translated, key=lambda x: x.number))
    return found


def _ids(quiz: Quiz) -> list[tuple[str, list[str]]]:
    """Each question's id, and the ids of its options and parts (with theirs)."""
    shape = []
    for question in quiz.questions:
        inner = [o.id for o in question.options or []]
        for part in question.parts or []:
            inner += [part.id] + [f"{part.id}.{o.id}" for o in part.options]
        shape.append((question.id, inner))
    return shape


def _check_quiz_translations(root: Path, bundle: ContentBundle,
                             errors: list[ContentError]) -> None:
    """`quizzes/<lang>/<quiz>.yaml`: a translation of a quiz asks the same questions, with
    the same question, part and option ids in the same order (answers are kept by id)."""
    for folder in sorted(p for p in (root / "quizzes").glob("*") if p.is_dir()):
        if not TRANSLATION_DIR.match(folder.name) or folder.name == "en":
            errors.append(ContentError(f"quizzes/{folder.name}", None,
                                       "a translation's folder is a two-letter language code "
                                       "other than en (quizzes/es/)"))
            continue
        for rel, quiz, _raw in _documents(root, f"quizzes/{folder.name}", Quiz, errors):
            original = bundle.quizzes.get(quiz.id)
            if original is None:
                errors.append(ContentError(rel, None, f"there is no quiz quizzes/{quiz.id}.yaml "
                                           "to translate"))
                continue
            if quiz.module != original.document.module:
                errors.append(ContentError(rel, None, f"module {quiz.module!r} must be the "
                                           f"English quiz's, {original.document.module!r}"))
            mine, theirs = _ids(quiz), _ids(original.document)
            if [q for q, _ in mine] != [q for q, _ in theirs]:
                errors.append(ContentError(rel, None, "the questions must be the English quiz's, "
                                           "with the same ids in the same order: "
                                           f"{', '.join(q for q, _ in theirs)}"))
                continue
            for (question, inner), (_, wanted) in zip(mine, theirs, strict=True):
                if inner != wanted:
                    errors.append(ContentError(rel, None, f"question {question!r}: the option "
                                               "and part ids must be the English quiz's, "
                                               f"{', '.join(wanted)}"))


def load_content(root: Path) -> tuple[ContentBundle, list[ContentError]]:
    """Everything under root (sources.yaml, modules/, quizzes/, roleplays/,
    certifications/), and every problem found in it."""
    errors: list[ContentError] = []
    bundle = ContentBundle()
    bundle.bibliography = _load_bibliography(root, errors)

    for module_dir in sorted(p for p in (root / "modules").glob("*") if p.is_dir()):
        slug = module_dir.name
        rel_dir = f"modules/{slug}"
        if not SLUG.match(slug):
            errors.append(ContentError(rel_dir, None, "module folder names match ^[a-z0-9-]+$"))
            continue
        meta_path = module_dir / "module.yaml"
        if not meta_path.exists():
            errors.append(ContentError(rel_dir, None, "module.yaml is missing"))
            continue
        meta_bytes = meta_path.read_bytes()
        raw_meta = _validate(ModuleFile, meta_bytes.decode("utf-8"), f"{rel_dir}/module.yaml",
                             errors)
        meta = (None if raw_meta is None else
                _resolve_sources(raw_meta, bundle.bibliography, f"{rel_dir}/module.yaml", errors))
        lessons = []
        raw = [meta_bytes]
        for lesson_path in sorted((module_dir / "lessons").glob("*.md")):
            rel = f"{rel_dir}/lessons/{lesson_path.name}"
            raw.append(lesson_path.name.encode() + b"\0" + lesson_path.read_bytes())
            lesson = _load_lesson(lesson_path, rel, errors)
            if lesson is not None:
                lessons.append(lesson)
        if meta is None:
            continue
        if not lessons:
            errors.append(ContentError(rel_dir, None, "the module has no lessons"))
        numbers = [lesson.number for lesson in lessons]
        for number in {n for n in numbers if numbers.count(n) > 1}:
            errors.append(ContentError(rel_dir, None, f"two lessons are numbered {number:02d}"))
        known_sources = {s.id for s in meta.sources}
        for lesson in lessons:
            for source in lesson.meta.sources:
                if source not in known_sources:
                    errors.append(
                        ContentError(lesson.path, None,
                                     f"source {source!r} is not listed in module.yaml")
                    )
        translations = _load_translations(module_dir, rel_dir, lessons, raw, errors)
        if meta.sources:  # the entries it was resolved to are part of its version
            raw.append(meta.model_dump_json(include={"sources"}).encode())
        bundle.modules[slug] = Module(
            slug, meta, tuple(sorted(lessons, key=lambda x: x.number)), _version(*raw),
            translations,
        )
        _check_audiences(bundle.modules[slug], errors)

    for rel, quiz, quiz_bytes in _documents(root, "quizzes", Quiz, errors):
        if quiz.module not in bundle.modules:
            errors.append(ContentError(rel, None, f"module {quiz.module!r} does not exist"))
        bundle.quizzes[quiz.id] = QuizContent(quiz.id, quiz, _version(quiz_bytes))

    _check_quiz_translations(root, bundle, errors)
    _load_roleplays(root, bundle, errors)

    for rel, programme, programme_bytes in _documents(root, "certifications", Programme,
                                                      errors):
        _check_programme(rel, programme, bundle, errors)
        bundle.programmes[programme.id] = ProgrammeContent(
            programme.id, programme, _version(programme_bytes))

    lesson_ids: dict[str, str] = {}
    for module in bundle.modules.values():
        wanted = module.meta.completion.quiz
        if wanted and not (root / "quizzes" / f"{wanted}.yaml").exists():
            errors.append(ContentError(f"modules/{module.slug}/module.yaml", None,
                                       f"completion.quiz {wanted!r} has no quizzes/{wanted}.yaml"))
        elif wanted and wanted in bundle.quizzes and \
                bundle.quizzes[wanted].document.module != module.slug:
            # The link both ways: grades go to the line item of the quiz's module.
            errors.append(ContentError(
                f"modules/{module.slug}/module.yaml", None,
                f"completion.quiz {wanted!r} is the quiz of module "
                f"{bundle.quizzes[wanted].document.module!r} (its `module:`), not of this one"))
        for lesson in module.lessons:
            if lesson.meta.id in lesson_ids:
                errors.append(ContentError(lesson.path, 2,
                                           f"lesson id {lesson.meta.id!r} is also used by "
                                           f"{lesson_ids[lesson.meta.id]}"))
            lesson_ids[lesson.meta.id] = lesson.path
    return bundle, errors
