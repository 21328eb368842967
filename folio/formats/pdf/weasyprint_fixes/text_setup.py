"""Each run of text's Pango layout made from what the runs before it already made.

WeasyPrint 70 sets up every ``Layout`` (each try at a line, each line again when it
is drawn: 28,000 for the 150-page bench book's parts) from nothing: a new Pango
context for the font map, a new font description, the font's metrics for a
decorated run, the OpenType features worked out again. Here a font configuration
keeps them: one context per direction and language (never changed once made, so
the layouts that share it stay valid), one description per font, the metrics and
the features string per style. Pango then also finds its fonts for a context it
has seen. The 16 parts in one process: 12.2-14.7 -> 11.1-12.4 s of processor time
(alternating runs), every PDF byte-identical.

To drop: when WeasyPrint keeps its Pango contexts (upstream Kozea/WeasyPrint,
``weasyprint/text/line_break.py``, ``Layout.setup``).
"""

from __future__ import annotations

import operator

#: The style values a font description is made of (``fonts.get_font_description``).
FONT = ("font_family", "font_style", "font_stretch", "font_weight", "font_size",
        "font_variant_caps", "font_variation_settings")
#: The style values the OpenType features come from (``fonts.font_features``).
FEATURES = ("font_kerning", "font_variant_ligatures", "font_variant_position",
            "font_variant_caps", "font_variant_numeric", "font_variant_alternates",
            "font_variant_east_asian", "font_feature_settings")


#: The style values of a font description and of the features, read at once.
_FONT_OF = operator.itemgetter(*FONT)
_FEATURES_OF = operator.itemgetter(*FEATURES)


def _kept(table: dict, key: tuple, make):
    """``table[key]``, made by ``make()`` the first time; made each time for a key
    that cannot be kept (a list among the values: an SVG text's font family)."""
    try:
        found = table.get(key)
    except TypeError:
        return make()
    if found is None:
        found = table[key] = make()
    return found


class _Made:
    """What one font configuration's layouts share."""

    def __init__(self) -> None:
        self.contexts: dict = {}
        self.descriptions: dict = {}
        self.metrics: dict = {}
        self.features: dict = {}


def install() -> None:
    from weasyprint.text import line_break
    from weasyprint.text.constants import LST_TO_ISO, PANGO_DIRECTION
    from weasyprint.text.ffi import FROM_UNITS, ffi, gobject, pango, unicode_to_char_p
    from weasyprint.text.fonts import font_features, get_font_description

    if getattr(line_break.Layout, "_folio_text_setup", False):
        return

    def context_of(made: _Made, font_map, direction: str, lang: str | None):
        found = made.contexts.get((direction, lang))
        if found is None:
            context = ffi.gc(pango.pango_font_map_create_context(font_map),
                             gobject.g_object_unref)
            pango.pango_context_set_round_glyph_positions(context, False)
            pango.pango_context_set_base_dir(context, PANGO_DIRECTION[direction])
            if lang:
                language = pango.pango_language_from_string(unicode_to_char_p(lang)[0])
                pango.pango_context_set_language(context, language)
            else:
                language = pango.pango_language_get_default()
            found = made.contexts[(direction, lang)] = (context, language)
        return found

    def metrics_of(context, description, language) -> tuple:
        metrics = ffi.gc(pango.pango_context_get_metrics(context, description, language),
                         pango.pango_font_metrics_unref)
        return tuple(FROM_UNITS * get(metrics) for get in (
            pango.pango_font_metrics_get_ascent,
            pango.pango_font_metrics_get_underline_position,
            pango.pango_font_metrics_get_strikethrough_position,
            pango.pango_font_metrics_get_underline_thickness,
            pango.pango_font_metrics_get_strikethrough_thickness))

    # CHANGED from WeasyPrint 70.0 (text/line_break.py, Layout.setup): the context,
    # font description, metrics and features come from the font configuration's
    # ``_Made`` when an earlier layout made them; the same calls make them otherwise.
    def setup(self, style):
        self.style = style
        self.first_line_direction = 0
        font_config = style.font_config
        made = font_config.__dict__.get("_folio_made")
        if made is None:
            made = font_config._folio_made = _Made()

        override = style["font_language_override"]
        if override != "normal":
            lang = LST_TO_ISO.get(override.lower(), override)
        else:
            lang = style["lang"] or None
        context, self.language = context_of(made, font_config.font_map,
                                            style["direction"], lang)

        font = _FONT_OF(style)
        description = _kept(made.descriptions, font, lambda: get_font_description(style))
        self.layout = ffi.gc(pango.pango_layout_new(context), gobject.g_object_unref)
        pango.pango_layout_set_auto_dir(self.layout, False)
        pango.pango_layout_set_font_description(self.layout, description)

        if style["text_decoration_line"] != "none":
            (self.ascent, self.underline_position, self.strikethrough_position,
             self.underline_thickness, self.strikethrough_thickness) = _kept(
                made.metrics, (font, style["direction"], lang),
                lambda: metrics_of(context, description, self.language))
        else:
            self.ascent = None
            self.underline_position = None
            self.strikethrough_position = None

        wanted = _FEATURES_OF(style)
        features = _kept(made.features, wanted, lambda: ",".join(
            f"{key} {value}" for key, value in font_features(*wanted).items()).encode())
        if features:
            # In the meantime, keep a cache to avoid leaking too many of them.
            attr = font_config.font_features.setdefault(
                features, pango.pango_attr_font_features_new(features))
            attr_list = pango.pango_attr_list_new()
            pango.pango_attr_list_insert(attr_list, attr)
            pango.pango_layout_set_attributes(self.layout, attr_list)

    line_break.Layout.setup = setup
    line_break.Layout._folio_text_setup = True


def struts_per_style() -> None:
    """WeasyPrint 70 finds a style's strut (its used line height and baseline) in a
    table keyed by a string it makes from fourteen style values, for every line and
    inline box (22,000 times for the bench book's parts: half of it making the key).
    The strut is now kept on the style itself once found (a style's values do not
    change once computed), and found as before the first time."""
    from weasyprint.css import computed_values, units
    from weasyprint.layout import inline
    from weasyprint.text import line_break

    if getattr(line_break, "_folio_struts", False):
        return
    found_strut = line_break.strut

    # CHANGED from WeasyPrint 70.0 (text/line_break.py, strut): kept on the style.
    def strut(style):
        kept = style.__dict__.get("_folio_strut")
        if kept is None:
            kept = style.__dict__["_folio_strut"] = found_strut(style)
        return kept

    for module in (line_break, inline, units, computed_values):
        if getattr(module, "strut", None) is found_strut:
            module.strut = strut
    line_break._folio_struts = True
