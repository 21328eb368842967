"""What a PDF/X or PDF/A checker looks at, read with pikepdf (no such checker runs
here: veraPDF is Java from Maven Central, which this machine cannot reach, and it
does not check PDF/X; no other is packaged for PyPI, npm or Debian).

- ``xmp``: the identification properties of the XMP packet;
- ``output_intents``: each intent's subtype, condition and embedded profile;
- ``drawing_colours``: the colour space of every colour a content stream sets, of
  every image it paints and of every shading, in pages and in the forms, patterns
  and annotation appearances they use;
- ``boxes``: MediaBox, BleedBox and TrimBox of every page;
- ``transparency``: soft masks and constant alpha below 1.
"""

from __future__ import annotations

import re
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name

_FAMILY = {"/DeviceRGB": "DeviceRGB", "/DeviceCMYK": "DeviceCMYK", "/DeviceGray": "DeviceGray",
           "/RGB": "DeviceRGB", "/CMYK": "DeviceCMYK", "/G": "DeviceGray"}


def xmp(pdf: pikepdf.Pdf) -> dict[str, str]:
    """``prefix:name`` -> value of the identification properties in the XMP packet
    (written as attributes or as elements)."""
    data = pdf.Root.Metadata.read_bytes().decode("utf-8") if "/Metadata" in pdf.Root else ""
    found = {}
    for prefix in ("pdfaid", "pdfuaid", "pdfxid", "pdfx", "xmpMM", "pdf"):
        for name, value in re.findall(rf'{prefix}:(\w+)="([^"]*)"', data):
            found[f"{prefix}:{name}"] = value
        for name, value in re.findall(rf"<{prefix}:(\w+)>([^<]*)</{prefix}:\1>", data):
            found[f"{prefix}:{name}"] = value
    return found


def output_intents(pdf: pikepdf.Pdf) -> list[dict]:
    out = []
    for intent in pdf.Root.get("/OutputIntents", []):
        profile = intent.get("/DestOutputProfile")
        out.append({"S": str(intent.get("/S")),
                    "condition": str(intent.get("/OutputConditionIdentifier", "")),
                    "registry": str(intent.get("/RegistryName", "")),
                    "components": int(profile.get("/N")) if profile is not None else 0,
                    "profile": profile.read_bytes() if profile is not None else b""})
    return out


def _family(space, resources) -> str:
    """The family of a colour space: a name, an array, or a resource name."""
    if isinstance(space, Name):
        if str(space) in _FAMILY:
            return _FAMILY[str(space)]
        named = (resources.get("/ColorSpace") or {}) if resources is not None else {}
        if str(space) in named:
            return _family(named[str(space)], None)
        return str(space)
    if isinstance(space, Array) and len(space):
        kind = str(space[0])
        if kind == "/ICCBased":
            return f"ICCBased/{int(space[1].get('/N'))}"
        if kind == "/Indexed":
            return f"Indexed/{_family(space[1], resources)}"
        return kind.lstrip("/")
    return repr(space)


def drawing_colours(path: Path) -> dict[str, set[str]]:
    """What colours the file paints with: ``{"fill": …, "stroke": …, "images": …,
    "shadings": …}``, each a set of colour space families."""
    found = {"fill": set(), "stroke": set(), "images": set(), "shadings": set()}
    with pikepdf.open(path) as pdf:
        seen: set = set()
        for page in pdf.pages:
            _content(page, page.obj.get("/Resources"), found, seen)
            for annotation in page.obj.get("/Annots", []):
                for appearance in (annotation.get("/AP") or {}).values():
                    if isinstance(appearance, pikepdf.Stream):
                        _content(appearance, appearance.get("/Resources"), found, seen)
    return found


def _content(owner, resources, found: dict, seen: set) -> None:
    key = owner.objgen if hasattr(owner, "objgen") else id(owner)
    if key in seen and key != (0, 0):
        return
    seen.add(key)
    fill = stroke = "DeviceGray"  # the initial colour space of a content stream
    for operands, operator in pikepdf.parse_content_stream(owner):
        op = str(operator)
        if op in ("rg", "RG"):
            (found["fill"] if op == "rg" else found["stroke"]).add("DeviceRGB")
        elif op in ("k", "K"):
            (found["fill"] if op == "k" else found["stroke"]).add("DeviceCMYK")
        elif op in ("g", "G"):
            (found["fill"] if op == "g" else found["stroke"]).add("DeviceGray")
        elif op == "cs":
            fill = _family(operands[0], resources)
        elif op == "CS":
            stroke = _family(operands[0], resources)
        elif op in ("sc", "scn"):
            found["fill"].add(fill)
        elif op in ("SC", "SCN"):
            found["stroke"].add(stroke)
        elif op == "sh":
            shading = (resources.get("/Shading") or {})[str(operands[0])]
            found["shadings"].add(_family(shading.get("/ColorSpace"), resources))
        elif op == "Do":
            item = (resources.get("/XObject") or {})[str(operands[0])]
            if item.get("/Subtype") == Name.Image:
                if item.get("/ImageMask"):
                    found["images"].add(f"mask:{fill}")
                else:
                    found["images"].add(_family(item.get("/ColorSpace"), resources))
            elif item.get("/Subtype") == Name.Form:
                _content(item, item.get("/Resources") or resources, found, seen)
        elif op == "BI":
            found["images"].add("inline")
    for _, pattern in ((resources or {}).get("/Pattern") or {}).items():
        if pattern.get("/PatternType") == 1:
            _content(pattern, pattern.get("/Resources"), found, seen)
        elif "/Shading" in pattern:
            found["shadings"].add(_family(pattern.Shading.get("/ColorSpace"), resources))


def boxes(pdf: pikepdf.Pdf) -> list[dict[str, list[float]]]:
    return [{box: [float(v) for v in page.obj[box]] for box in
             ("/MediaBox", "/BleedBox", "/TrimBox") if box in page.obj}
            for page in pdf.pages]


def transparency(pdf: pikepdf.Pdf) -> list[str]:
    """Where the file uses transparency: soft masks, alpha below 1, blend modes."""
    found = []
    for obj in pdf.objects:
        if not isinstance(obj, (Dictionary, pikepdf.Stream)):
            continue
        if obj.get("/SMask") not in (None, Name.None_):
            found.append(f"SMask in {obj.get('/Type') or obj.get('/Subtype')}")
        for key in ("/CA", "/ca"):
            if key in obj and float(obj[key]) < 1:
                found.append(f"{key} {float(obj[key])}")
        if obj.get("/BM") not in (None, Name.Normal, Name.Compatible):
            found.append(f"blend mode {obj.get('/BM')}")
    return found
