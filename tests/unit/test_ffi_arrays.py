"""weasyprint_fixes.ffi_arrays: HarfBuzz-Subset's glyph arrays without a C type parsed
for each length."""

from __future__ import annotations

import pytest

ffi_module = pytest.importorskip("weasyprint.text.ffi")

from folio.formats.pdf.weasyprint_fixes.ffi_arrays import OpenArrays  # noqa: E402


def test_arrays_of_every_length_share_one_parsed_type():
    ffi = ffi_module.ffi
    arrays = OpenArrays(ffi)
    before = len(ffi._parsed_types)
    made = [arrays.new(f"hb_codepoint_t[{n}]", list(range(n, 0, -1))) for n in (3, 7, 11, 19)]
    assert [list(array) for array in made] == [list(range(n, 0, -1)) for n in (3, 7, 11, 19)]
    assert [ffi.sizeof(array) for array in made] == [4 * n for n in (3, 7, 11, 19)]
    assert len(ffi._parsed_types) <= before + 1  # "hb_codepoint_t[]", once


def test_anything_else_goes_to_cffi_unchanged():
    arrays = OpenArrays(ffi_module.ffi)
    padded = arrays.new("hb_codepoint_t[4]", [5, 6])  # fewer values: zeros after them
    assert list(padded) == [5, 6, 0, 0]
    assert arrays.new("int *")[0] == 0
    assert arrays.NULL == ffi_module.ffi.NULL


def test_the_fonts_module_makes_its_arrays_through_it():
    from weasyprint.pdf import fonts

    from folio.formats.pdf.weasyprint_fixes import apply

    apply()
    assert isinstance(fonts.ffi, OpenArrays)
