"""folio's own templates are compiled once and kept, as Python keeps a module's code
(``templates.ThemeBytecode``); a book's own templates never are."""

from __future__ import annotations

from folio.templates import (BUILTIN_TEMPLATES, FolderLoader, ThemeBytecode, compile_settings,
                             make_environment)


def _environment(cache):
    environment = make_environment(None)
    environment.bytecode_cache = ThemeBytecode(cache, compile_settings(environment))
    return environment


def test_a_theme_template_compiled_once_is_loaded_not_compiled(tmp_path, monkeypatch):
    first = _environment(tmp_path).get_template("print/print.css")
    assert list(tmp_path.glob("*.jinja"))  # kept
    second = _environment(tmp_path)

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled again")

    monkeypatch.setattr(second, "compile", no_compiling)
    assert second.get_template("print/print.css").filename == first.filename


def test_a_changed_template_is_compiled_again(tmp_path):
    theme = tmp_path / "theme"
    theme.mkdir()
    (theme / "page.html").write_text("one {{ word }}", encoding="utf-8")

    def rendered() -> str:
        environment = _environment(tmp_path / "cache")
        environment.loader = FolderLoader(str(theme))
        return environment.get_template("page.html").render(word="<b>")

    assert rendered() == "one &lt;b&gt;"
    assert rendered() == "one &lt;b&gt;"  # from the kept code
    (theme / "page.html").write_text("two {{ word }}", encoding="utf-8")
    assert rendered() == "two &lt;b&gt;"


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path):
    (tmp_path / "page.html").write_text("one {{ word }}", encoding="utf-8")
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    for _ in range(2):
        environment = _environment(blocked / "cache")
        environment.loader = FolderLoader(str(tmp_path))
        assert environment.get_template("page.html").render(word="w") == "one w"


def test_a_book_with_templates_of_its_own_keeps_no_compiled_code(tmp_path):
    (tmp_path / "templates" / "print").mkdir(parents=True)
    (tmp_path / "templates" / "print" / "book.html").write_text("{{ 1 }}", encoding="utf-8")
    assert make_environment(tmp_path).bytecode_cache is None
    ours = make_environment(None).bytecode_cache
    assert ours is not None and ours.directory == str(BUILTIN_TEMPLATES / "__pycache__")


def test_the_settings_tell_apart_what_compiles_differently():
    environment = make_environment(None)
    settings = compile_settings(environment)
    environment.trim_blocks = False
    assert compile_settings(environment) != settings
