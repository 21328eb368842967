"""What makes a laid-out PDF conform to the standard of its edition.

WeasyPrint 70 writes one ``pdf_variant`` at a time; every edition is tagged (the
structure of PDF/UA-1 is written in all of them, ``pdf_tags``):

- ``pdf/ua-1``, the PDF for screens: as WeasyPrint writes it;
- ``pdf/a-2u``, the archive edition: WeasyPrint's PDF/A-2u (sRGB output intent,
  fonts embedded, XMP identification) and the tags; its XMP names PDF/UA-1 too,
  with the extension schema PDF/A asks for any property outside its predefined
  schemas (ISO 19005-2, 6.6.2.3);
- ``pdf/x-4`` or ``pdf/x-1a``, the print edition: WeasyPrint's identification and
  the shipped CMYK profile as output intent (print.css declares it as
  ``@color-profile device-cmyk``), then ``for_print`` on the written file: every
  RGB colour of a drawing operator turned into CMYK (greys into black ink only),
  no annotations (links mean nothing on paper; PDF/X allows none inside the
  bleed box), and the colour spaces nobody uses removed.

Runs in the layout's child process (``engine.lay_out``), in every part of a book
laid out in parts (``merge`` keeps what each part has).
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from xml.etree import ElementTree as ET

#: The PDF every edition is: WeasyPrint's ``pdf_variant``.
SCREEN, ARCHIVE, PRINT_X4, PRINT_X1A = "pdf/ua-1", "pdf/a-2u", "pdf/x-4", "pdf/x-1a"
#: The CMYK profile shipped with folio (folio/profiles/README.md says where it
#: comes from) and the characterisation it was made from (ICC registry name).
PROFILE = Path(__file__).resolve().parent.parent.parent / "profiles" / "FOGRA39L.icc"
CONDITION = "FOGRA39"
CONDITION_INFO = "Coated FOGRA39 (ISO 12647-2:2004/Amd 1), 115 g/m2 coated paper"
REGISTRY = "http://www.color.org"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XMP_MM = "http://ns.adobe.com/xap/1.0/mm/"
_PDFAEXT = "http://www.aiim.org/pdfa/ns/extension/"
_PDFASCHEMA = "http://www.aiim.org/pdfa/ns/schema#"
_PDFAPROPERTY = "http://www.aiim.org/pdfa/ns/property#"
_PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
for _prefix, _uri in (("pdfaExtension", _PDFAEXT), ("pdfaSchema", _PDFASCHEMA),
                      ("pdfaProperty", _PDFAPROPERTY)):
    ET.register_namespace(_prefix, _uri)


def is_print(variant: str) -> bool:
    return variant.startswith("pdf/x")


# --- the XMP packet --------------------------------------------------------------------

def adjust_xmp(rdf: ET.Element, variant: str, stamp: bytes) -> None:
    """What the edition adds to WeasyPrint's XMP (``rdf``, the ``rdf:RDF`` element):
    a document ID derived from ``stamp`` instead of a random one (the same sources
    give the same bytes); for the archive, PDF/UA-1 and its extension schema."""
    stable = f"uuid:{uuid.UUID(bytes=hashlib.md5(stamp).digest())}"
    for element in rdf.iter(f"{{{_XMP_MM}}}DocumentID"):
        element.text = stable
    if variant.startswith("pdf/a"):
        ET.SubElement(rdf, f"{{{_RDF}}}Description",
                      {f"{{{_RDF}}}about": "", f"{{{_PDFUAID}}}part": "1"})
        rdf.append(_pdfua_extension_schema())


def _pdfua_extension_schema() -> ET.Element:
    """The PDF/A extension schema that declares ``pdfuaid:part`` (the form veraPDF
    and the PDF/UA Competence Center's examples use)."""
    def tag(uri, name):
        return f"{{{uri}}}{name}"

    description = ET.Element(tag(_RDF, "Description"), {tag(_RDF, "about"): ""})
    schemas = ET.SubElement(ET.SubElement(description, tag(_PDFAEXT, "schemas")),
                            tag(_RDF, "Bag"))
    schema = ET.SubElement(schemas, tag(_RDF, "li"), {tag(_RDF, "parseType"): "Resource"})
    for name, text in (("schema", "PDF/UA Universal Accessibility Schema"),
                       ("namespaceURI", _PDFUAID), ("prefix", "pdfuaid")):
        ET.SubElement(schema, tag(_PDFASCHEMA, name)).text = text
    properties = ET.SubElement(ET.SubElement(schema, tag(_PDFASCHEMA, "property")),
                               tag(_RDF, "Seq"))
    item = ET.SubElement(properties, tag(_RDF, "li"), {tag(_RDF, "parseType"): "Resource"})
    for name, text in (("name", "part"), ("valueType", "Integer"), ("category", "internal"),
                       ("description", "Indicates, which part of ISO 14289 standard is "
                                       "followed")):
        ET.SubElement(item, tag(_PDFAPROPERTY, name)).text = text
    return description


# --- WeasyPrint's finisher ------------------------------------------------------------

def output_intent(pdf) -> None:
    """Name the output condition of a print PDF (a pydyf ``PDF``): the registered
    characterisation the shipped profile was made from, instead of the profile's
    own description that WeasyPrint writes."""
    import pydyf

    for intent in pdf.catalog.get("OutputIntents", []):
        intent["OutputConditionIdentifier"] = pydyf.String(CONDITION)
        intent["OutputCondition"] = pydyf.String(CONDITION_INFO)
        intent["Info"] = pydyf.String(CONDITION_INFO)
        intent["RegistryName"] = pydyf.String(REGISTRY)


# --- the print pass --------------------------------------------------------------------

class Inks:
    """RGB colours as CMYK: neutral greys in black ink only (text stays sharp, no
    registration of four plates), other colours through the shipped profile."""

    def __init__(self) -> None:
        from PIL import ImageCms

        self._transform = ImageCms.buildTransform(
            ImageCms.createProfile("sRGB"), ImageCms.ImageCmsProfile(str(PROFILE)),
            "RGB", "CMYK", renderingIntent=ImageCms.Intent.RELATIVE_COLORIMETRIC)
        self._known: dict[tuple, tuple] = {}

    def cmyk(self, red: float, green: float, blue: float) -> tuple[float, ...]:
        key = tuple(round(min(1.0, max(0.0, c)) * 255) for c in (red, green, blue))
        if key not in self._known:
            if max(key) - min(key) <= 2:  # grey
                self._known[key] = (0.0, 0.0, 0.0, round(1 - sum(key) / 765, 4))
            else:
                from PIL import Image, ImageCms

                pixel = ImageCms.applyTransform(Image.new("RGB", (1, 1), key),
                                                self._transform).getpixel((0, 0))
                self._known[key] = tuple(round(c / 255, 4) for c in pixel)
        return self._known[key]


def for_print(path: Path, variant: str) -> None:
    """Make the PDF at ``path`` (written by WeasyPrint as ``variant``) print-ready,
    in place: CMYK and grey only, no annotations, no unused colour spaces."""
    import pikepdf

    inks = Inks()
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        streams: dict = {}
        for page in pdf.pages:
            if "/Annots" in page.obj:
                del page.obj["/Annots"]
            streams[page.objgen] = page
            _forms(page.obj.get("/Resources"), streams)
        used: set[str] = set()
        for owner in streams.values():
            _recolour(pdf, owner, inks, used)
        _drop_unused_colour_spaces(pdf, used)
        if "/AcroForm" in pdf.Root:
            del pdf.Root["/AcroForm"]
        version = tuple(map(int, pdf.pdf_version.split(".")))
        pdf.save(path, deterministic_id=True, linearize=False, static_id=False,
                 min_version=pdf.pdf_version, fix_metadata_version=False,
                 object_stream_mode=(pikepdf.ObjectStreamMode.generate if version >= (1, 5)
                                     else pikepdf.ObjectStreamMode.disable))


def _forms(resources, streams: dict) -> None:
    """Every form XObject and tiling pattern under ``resources`` (their content
    streams draw too)."""
    if resources is None:
        return
    for kind in ("/XObject", "/Pattern"):
        for _, item in (resources.get(kind) or {}).items():
            if item.objgen in streams or item.get("/Subtype") == "/Image":
                continue
            if item.get("/Subtype") == "/Form" or item.get("/PatternType") == 1:
                streams[item.objgen] = item
                _forms(item.get("/Resources"), streams)


def _recolour(pdf, owner, inks: Inks, used: set[str]) -> None:
    """Rewrite the content stream of ``owner`` (a page or a form) with every ``rg``
    / ``RG`` as ``k`` / ``K``; note the named colour spaces it selects."""
    import pikepdf

    changed = False
    out = []
    for operands, operator in pikepdf.parse_content_stream(owner):
        name = str(operator)
        if name in ("rg", "RG"):
            cmyk = inks.cmyk(*(float(v) for v in operands))
            out.append(([*cmyk], pikepdf.Operator("k" if name == "rg" else "K")))
            changed = True
            continue
        if name in ("cs", "CS"):
            used.add(str(operands[0]))
        out.append((operands, operator))
    if changed:
        data = pikepdf.unparse_content_stream(out)
        if isinstance(owner, pikepdf.Page):
            owner.obj.Contents = pdf.make_stream(data)
        else:
            owner.write(data)


def _drop_unused_colour_spaces(pdf, used: set[str]) -> None:
    """Remove the colour spaces (WeasyPrint declares Lab and the ICC profile on
    every page) that no drawing operator selects."""
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        spaces = resources.get("/ColorSpace") if resources is not None else None
        if spaces is None:
            continue
        for key in list(spaces.keys()):
            if key not in used:
                del spaces[key]
