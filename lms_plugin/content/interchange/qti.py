"""QTI 1.2 as Canvas Classic Quizzes import it: a zip with `imsmanifest.xml`, the
assessment (`<quiz>/<quiz>.xml`) and Canvas's `assessment_meta.xml` (the quiz settings).

Each item carries Canvas's `question_type` (`multiple_choice_question`,
`multiple_answers_question`, `true_false_question`) and `points_possible` (a scenario
part's share of one point) in its `itemmetadata`, as Canvas's own exports do; a
`response_lid` whose `response_label` idents are our option ids; `resprocessing` that sets
SCORE to 100 for the right answer (for multiple answers: every right option ticked and no
wrong one, the condition Canvas reads to mark which answers are right); and per-option
feedback as `itemfeedback` linked from a `displayfeedback`. The item's ident is our id
(Canvas keeps it as the question's migration id, so importing again updates rather than
duplicates), and `lms_plugin_tags` holds what Canvas has no field for.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from typing import Any

from ..schema import Option, Quiz
from .items import (
    ALL_OR_NOTHING_TAG,
    PARAGRAPH,
    Item,
    check_exportable,
    regroup,
    split_stem,
    stem_text,
    tags_for,
)

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TYPES = {"single": "multiple_choice_question", "multiple": "multiple_answers_question",
         "true_false": "true_false_question"}
KINDS = {v: k for k, v in TYPES.items()}
RESPONSE = "response1"
TAGS_FIELD = "lms_plugin_tags"


def write_qti_zip(quiz: Quiz) -> bytes:
    """The zip Canvas's "QTI .zip file" course import takes."""
    items = check_exportable(quiz)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("imsmanifest.xml", _xml(_manifest(quiz)))
        archive.writestr(f"{quiz.id}/{quiz.id}.xml", _xml(_assessment(quiz, items)))
        archive.writestr(f"{quiz.id}/assessment_meta.xml", _xml(_meta(quiz, items)))
    return buffer.getvalue()


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _manifest(quiz: Quiz) -> ET.Element:
    manifest = ET.Element("manifest", {"identifier": f"{quiz.id}-manifest", "xmlns": CP_NS})
    metadata = ET.SubElement(manifest, "metadata")
    ET.SubElement(metadata, "schema").text = "IMS Content"
    ET.SubElement(metadata, "schemaversion").text = "1.1.3"
    ET.SubElement(manifest, "organizations")
    resources = ET.SubElement(manifest, "resources")
    resource = ET.SubElement(resources, "resource", identifier=quiz.id,
                             type="imsqti_xmlv1p2")
    ET.SubElement(resource, "file", href=f"{quiz.id}/{quiz.id}.xml")
    ET.SubElement(resource, "dependency", identifierref=f"{quiz.id}-meta")
    meta = ET.SubElement(
        resources, "resource", identifier=f"{quiz.id}-meta",
        type="associatedcontent/imscc_xmlv1p1/learning-application-resource",
        href=f"{quiz.id}/assessment_meta.xml")
    ET.SubElement(meta, "file", href=f"{quiz.id}/assessment_meta.xml")
    return manifest


def _meta(quiz: Quiz, items: list[Item]) -> ET.Element:
    """Canvas's quiz settings: attempts, time limit, shuffled answers."""
    root = ET.Element("quiz", {"identifier": f"{quiz.id}-meta", "xmlns": CANVAS_NS})
    values = {
        "title": quiz.title,
        "shuffle_answers": "true",
        "scoring_policy": "keep_highest",
        "quiz_type": "assignment",
        "points_possible": _points(float(len(quiz.questions))),
        "allowed_attempts": str(quiz.attempts_allowed or -1),
        "assignment_group_identifierref": "",
        "question_count": str(len(items)),
    }
    if quiz.time_limit_minutes:
        values["time_limit"] = str(quiz.time_limit_minutes)
    for tag, value in values.items():
        if value:
            ET.SubElement(root, tag).text = value
    return root


def _points(value: float) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.1f}"


def _html(text: str) -> str:
    """Plain paragraphs as the HTML Canvas shows (Canvas takes mattext as HTML)."""
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                   for p in text.split(PARAGRAPH))


def _plain(markup: str) -> str:
    """The reverse of _html, for the HTML that _html writes."""
    paragraphs = re.findall(r"<p>(.*?)</p>", markup, re.DOTALL)
    if not paragraphs:
        return html.unescape(markup)
    return PARAGRAPH.join(html.unescape(p.replace("<br>", "\n")) for p in paragraphs)


def _metadata(parent: ET.Element, fields: dict[str, str]) -> None:
    metadata = ET.SubElement(parent, "qtimetadata")
    for label, entry in fields.items():
        field = ET.SubElement(metadata, "qtimetadatafield")
        ET.SubElement(field, "fieldlabel").text = label
        ET.SubElement(field, "fieldentry").text = entry


def _material(parent: ET.Element, text: str, texttype: str = "text/html") -> None:
    material = ET.SubElement(parent, "material")
    ET.SubElement(material, "mattext", texttype=texttype).text = text


def _assessment(quiz: Quiz, items: list[Item]) -> ET.Element:
    root = ET.Element("questestinterop", {
        "xmlns": QTI_NS, "xmlns:xsi": XSI,
        "xsi:schemaLocation": f"{QTI_NS} http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd"})
    assessment = ET.SubElement(root, "assessment", ident=quiz.id, title=quiz.title)
    settings = {"cc_maxattempts": str(quiz.attempts_allowed or "unlimited")}
    if quiz.time_limit_minutes:
        settings["qmd_timelimit"] = str(quiz.time_limit_minutes)
    _metadata(assessment, settings)
    section = ET.SubElement(assessment, "section", ident="root_section")
    for item in items:
        section.append(_item(quiz, item))
    return root


def _item(quiz: Quiz, item: Item) -> ET.Element:
    element = ET.Element("item", ident=item.id, title=item.id)
    itemmetadata = ET.SubElement(element, "itemmetadata")
    _metadata(itemmetadata, {
        "question_type": TYPES[item.kind],
        "points_possible": _points(item.weight),
        "original_answer_ids": ",".join(o.id for o in item.options),
        TAGS_FIELD: " ".join(tags_for(quiz, item)),
    })
    presentation = ET.SubElement(element, "presentation")
    _material(presentation, _html(stem_text(item)))
    cardinality = "Multiple" if item.kind == "multiple" else "Single"
    response = ET.SubElement(presentation, "response_lid", ident=RESPONSE,
                             rcardinality=cardinality)
    choices = ET.SubElement(response, "render_choice")
    for option in item.options:
        label = ET.SubElement(choices, "response_label", ident=option.id)
        _material(label, option.text, "text/plain")
    processing = ET.SubElement(element, "resprocessing")
    outcomes = ET.SubElement(processing, "outcomes")
    ET.SubElement(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE",
                  vartype="Decimal")
    for option in item.options:
        condition = ET.SubElement(processing, "respcondition", {"continue": "Yes"})
        ET.SubElement(ET.SubElement(condition, "conditionvar"), "varequal",
                      respident=RESPONSE).text = option.id
        ET.SubElement(condition, "displayfeedback", feedbacktype="Response",
                      linkrefid=f"{option.id}_fb")
    scored = ET.SubElement(processing, "respcondition", {"continue": "No"})
    conditions = ET.SubElement(scored, "conditionvar")
    if item.kind == "multiple":
        both = ET.SubElement(conditions, "and")
        for option in item.options:
            parent = both if option.correct else ET.SubElement(both, "not")
            ET.SubElement(parent, "varequal", respident=RESPONSE).text = option.id
    else:
        right = next(o for o in item.options if o.correct)
        ET.SubElement(conditions, "varequal", respident=RESPONSE).text = right.id
    ET.SubElement(scored, "setvar", action="Set", varname="SCORE").text = "100"
    for option in item.options:
        feedback = ET.SubElement(element, "itemfeedback", ident=f"{option.id}_fb")
        _material(ET.SubElement(feedback, "flow_mat"), _html(option.feedback))
    return element


def read_qti_zip(data: bytes) -> tuple[str, list[dict[str, Any]]]:
    """(title, questions as dicts for our schema) from a zip write_qti_zip made, or one
    Canvas exported of the same question types; ValueError naming the item otherwise.
    Python's expat parser neither fetches external entities nor expands entities without
    bound."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            manifest = ET.fromstring(archive.read("imsmanifest.xml"))  # noqa: S314
            hrefs = [f.get("href", "") for f in manifest.iter(f"{{{CP_NS}}}file")]
            assessments = [h for h in hrefs if not h.endswith("assessment_meta.xml")]
            if len(assessments) != 1:
                raise ValueError("the package should hold one assessment")
            root = ET.fromstring(archive.read(assessments[0]))  # noqa: S314
    except (zipfile.BadZipFile, KeyError) as exc:
        raise ValueError(f"not a QTI package: {exc}") from None
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    ns = {"q": QTI_NS}
    assessment = root.find("q:assessment", ns)
    if assessment is None:
        raise ValueError("no <assessment> in the QTI file")
    items = []
    for element in assessment.iter(f"{{{QTI_NS}}}item"):
        item_id = element.get("ident", "")
        fields = {f.findtext("q:fieldlabel", "", ns): f.findtext("q:fieldentry", "", ns)
                  for f in element.iterfind("q:itemmetadata/q:qtimetadata/q:qtimetadatafield",
                                            ns)}
        kind: Any = KINDS.get(fields.get("question_type", ""))
        if kind is None:
            raise ValueError(
                f"{item_id}: its type, {fields.get('question_type')}, cannot be represented")
        tags = fields.get(TAGS_FIELD, "").split()
        stem = _plain(element.findtext("q:presentation/q:material/q:mattext", "", ns))
        labels = element.findall("q:presentation/q:response_lid/q:render_choice/"
                                 "q:response_label", ns)
        ids = [label.get("ident", "") for label in labels]
        right = _right_answers(element, ns)
        feedback = {f.get("ident"): _plain(f.findtext("q:flow_mat/q:material/q:mattext", "", ns))
                    for f in element.findall("q:itemfeedback", ns)}
        options = tuple(
            Option(id=i, text=label.findtext("q:material/q:mattext", "", ns),
                   correct=i in right, feedback=feedback.get(f"{i}_fb", ""))
            for i, label in zip(ids, labels, strict=True))
        # Canvas grades multiple answers with part marks, as our partial scoring does.
        scoring: Any = None
        if kind == "multiple":
            scoring = None if ALL_OR_NOTHING_TAG in tags else "partial"
        note, scenario, lead, prompt = split_stem(stem, "/" in item_id)
        items.append(Item(item_id, kind, scoring, note, scenario, lead, prompt, options, 1.0))
    return assessment.get("title", ""), regroup(items)


def _right_answers(element: ET.Element, ns: dict[str, str]) -> set[str]:
    """The options the SCORE=100 condition requires (not those inside <not>)."""
    for condition in element.iterfind("q:resprocessing/q:respcondition", ns):
        if condition.findtext("q:setvar", "", ns).strip() != "100":
            continue
        variables = condition.find("q:conditionvar", ns)
        if variables is None:
            continue
        excluded = {v.text for n in variables.iter(f"{{{QTI_NS}}}not")
                    for v in n.iter(f"{{{QTI_NS}}}varequal")}
        return {v.text or "" for v in variables.iter(f"{{{QTI_NS}}}varequal")} - excluded
    return set()
