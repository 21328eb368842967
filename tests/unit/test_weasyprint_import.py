"""``pdf.libraries.import_weasyprint``: WeasyPrint's libraries are opened without a
process started to look for them, and the import as released is tried when that
is not enough."""

import subprocess
import sys
import textwrap

import pytest

#: Run in a fresh interpreter: counts the processes started while ``IMPORT`` runs,
#: then says whether Pango was opened.
COUNTING = textwrap.dedent("""
    import subprocess, sys
    started = []
    released = subprocess.Popen.__init__
    def counted(self, args, *rest, **kwargs):
        started.append(args)
        released(self, args, *rest, **kwargs)
    subprocess.Popen.__init__ = counted
    {imports}
    import weasyprint.text.ffi as ffi
    print(len(started), ffi.pango is not None)
""")


def _processes_started(imports: str) -> tuple[int, bool]:
    script = COUNTING.format(imports=imports)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True)
    count, opened = done.stdout.split()
    return int(count), opened == "True"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the lookup is Linux's")
def test_weasyprint_is_imported_without_looking_for_its_libraries():
    released, _ = _processes_started("import weasyprint")
    if released == 0:
        pytest.skip("this cffi or WeasyPrint starts no process to find a library: "
                    "pdf.libraries can go")
    assert _processes_started("from folio.formats.pdf.libraries import import_weasyprint;"
                              " import_weasyprint()") == (0, True)


def test_the_import_as_released_is_tried_when_the_sonames_do_not_open(tmp_path):
    """A library only ``find_library`` finds: the first import fails (``OSError``,
    as cffi raises it), the second, with ``find_library`` as released, succeeds."""
    package = tmp_path / "weasyprint"
    package.mkdir()
    (package / "__init__.py").write_text("from . import ffi\n")
    (package / "ffi.py").write_text(
        "import ctypes.util\n"
        "FOUND = ctypes.util.find_library('c')\n"
        "if FOUND is None:\n"
        "    raise OSError('cannot load library')\n")
    script = ("from folio.formats.pdf.libraries import import_weasyprint\n"
              "module = import_weasyprint()\n"
              "print(module.ffi.FOUND is not None, import_weasyprint() is module)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True, env={"PYTHONPATH": f"{tmp_path}:{_repo()}",
                                           "PATH": "/usr/bin:/bin:/sbin"})
    assert done.stdout.split() == ["True", "True"]


def _repo() -> str:
    from pathlib import Path
    return str(Path(__file__).resolve().parents[2])
