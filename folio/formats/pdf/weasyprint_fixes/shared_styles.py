"""Pseudo-elements' styles shared as elements' styles are, and no cascade built for
an element whose style is shared.

WeasyPrint 70's cascade (``css.StyleFor``) already gives elements that match the
same rules, under the same parent style, one computed style. Not so for their
pseudo-elements: the user-agent stylesheet gives every element rules for
``::marker``, ``::footnote-call`` and ``::footnote-marker``, so each of a part's
elements had a computed style of its own for each (35,000 for the 150-page bench
book's parts, where the elements have a few hundred), each of whose values was
worked out again when read. And every element's declarations were weighed into a
cascaded style before the element was found to share its computed style, which
never reads them.

Here a pseudo-element's computed style is shared under the same key: its element's
(shared) computed style, its type and the rules it matched. A computed style holds
no element (``ComputedStyle``'s inputs are the parent style, the cascaded
declarations and the document's settings), so equal keys make equal styles, as for
elements. The 16 parts in one process (cProfile): the cascade 1.95 -> 0.96 s, the
computed styles 35,000 -> 8,700, the values worked out 269,000 -> 175,000; every
PDF byte-identical, and all of content/'s and the fixtures' outputs.

To drop: when WeasyPrint shares pseudo-elements' styles (upstream
Kozea/WeasyPrint, ``weasyprint/css/__init__.py``, ``StyleFor.__init__``).
"""

from __future__ import annotations


def install() -> None:
    from math import inf

    from weasyprint import css
    from weasyprint.css import (declaration_precedence, find_style_attributes,
                                preprocess_declarations)
    from weasyprint.logger import PROGRESS_LOGGER

    style_for = css.StyleFor
    if getattr(style_for, "_folio_shared_styles", False):
        return

    def __init__(self, html, sheets, presentational_hints, font_config,
                 target_collector):
        self._cascaded_styles = cascaded_styles = {}
        self._computed_styles = computed_styles = {}
        self.initial_page_sizes = {'box': None, 'area': None}
        self._sheets = sheets
        self.font_config = font_config

        def cascade(style: dict, origin: str, sheet_specificity, specificity,
                    layer_order, declarations) -> None:
            """``declarations`` weighed into ``style`` (WeasyPrint's loop, once)."""
            specificity = sheet_specificity or specificity
            for name, values, importance in declarations:
                precedence = declaration_precedence(origin, importance)
                weight = (precedence, layer_order, specificity)
                old_weight = style.get(name, (None, None))[1]
                if old_weight is None or old_weight <= weight:
                    style[name] = values, weight

        PROGRESS_LOGGER.info('Step 3 - Applying CSS')
        elements_declarations = {}
        for specificity, element, declarations, base_url in find_style_attributes(
                html.etree_element, presentational_hints, html.base_url):
            elements_declarations[element] = tuple(declarations)
            cascade(cascaded_styles.setdefault((element, None), {}), 'author', None,
                    specificity, inf, preprocess_declarations(base_url, declarations))

        computed_cache = {}
        # CHANGED from WeasyPrint 70.0 (css/__init__.py, StyleFor.__init__): the
        # matches of an element are gathered first, in the order they came; the
        # element's cascade is built only when its computed style is not shared,
        # and each pseudo-element's computed style is made (or shared) right after
        # its element's, not in a second pass.
        pseudo_cache = {}
        for element in html.wrapper_element.iter_subtree():
            etree_element = element.etree_element
            parent = element.parent.etree_element if element.parent else None
            parent_id = id(computed_styles[parent, None]) if element.parent else None
            element_declarations = elements_declarations.get(etree_element)
            selectors_keys = []
            #: pseudo-element type (None: the element) -> its matches and their keys
            matches = {}
            for sheet, origin, sheet_specificity in sheets:
                for selector in sheet.matcher.match(element):
                    specificity, order, pseudo_type, (declarations, layer) = selector
                    layer_order = inf if layer is None else sheet.layers.index(layer)
                    selector_key = (sheet, specificity, id(declarations), layer_order)
                    selectors_keys.append(selector_key)
                    matches.setdefault(pseudo_type, ([], []))
                    matches[pseudo_type][0].append(selector_key)
                    matches[pseudo_type][1].append((origin, sheet_specificity, specificity,
                                                    layer_order, declarations))

            key = (parent_id, element_declarations, tuple(selectors_keys))
            if key in computed_cache:
                computed_styles[etree_element, None] = computed_cache[key]
            else:
                if None in matches:
                    style = cascaded_styles.setdefault((etree_element, None), {})
                    for match in matches[None][1]:
                        cascade(style, *match)
                self.set_computed_styles(
                    etree_element, root=html.etree_element, parent=parent,
                    base_url=html.base_url, target_collector=target_collector)
                computed_cache[key] = computed_styles[etree_element, None]

            element_style = id(computed_styles[etree_element, None])
            for pseudo_type, (pseudo_keys, pseudo_matches) in matches.items():
                if pseudo_type is None:
                    continue
                pseudo_key = (element_style, pseudo_type, tuple(pseudo_keys))
                shared = pseudo_cache.get(pseudo_key)
                if shared is not None:
                    computed_styles[etree_element, pseudo_type] = shared
                    continue
                style = cascaded_styles.setdefault((etree_element, pseudo_type), {})
                for match in pseudo_matches:
                    cascade(style, *match)
                self.set_computed_styles(
                    etree_element, pseudo_type=pseudo_type,
                    root=html.etree_element, parent=etree_element,
                    base_url=html.base_url, target_collector=target_collector)
                pseudo_cache[pseudo_key] = computed_styles[etree_element, pseudo_type]

        self._cascaded_styles.clear()

    __init__.__doc__ = style_for.__init__.__doc__
    style_for.__init__ = __init__
    style_for._folio_shared_styles = True
