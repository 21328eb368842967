"""The Jinja2 environment: templates looked up in the book's own ``templates/``
folder first, then in folio's (``folio/theme``, which is the repository's
``templates/``), with autoescape and StrictUndefined on.

A book's template may extend folio's own under the prefix ``folio:`` (Pelican's
``!simple/`` is the model): ``{% extends "folio:print/print.css" %}`` and then only
the blocks it changes.

A book folder may come from anyone, and so may its templates: they run in
Jinja2's sandbox, which refuses access to Python internals
(``cycler.__init__.__globals__.os`` and the like), and they are read inside the
book folder only (``folio.confined``): neither a template nor the ``templates``
folder itself may be a link that leads out of it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import jinja2
import jinja2.sandbox
from markupsafe import Markup

from .confined import NotAFile, Outside, TooLarge, open_inside, read_inside
from .diagnostics import BuildError

#: The built-in templates, one folder per format (shipped inside the package).
BUILTIN_TEMPLATES = Path(__file__).resolve().parent / "theme"
#: The prefix under which a book's templates reach folio's own.
BUILTIN_PREFIX = "folio"


def _autoescape(name: str | None) -> bool:
    """Escape everything but stylesheets (CSS values go through ``css_string``)."""
    return not (name or "").endswith(".css")


def css_string(value: str) -> Markup:
    """A CSS string literal for ``value``, safe inside ``content: …``."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;-_()" else f"\\{ord(ch):x} "
                      for ch in str(value))
    return Markup(f'"{escaped}"')


class FolderLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that serves only files whose real path lies in its folder.

    Jinja2 follows links: ``templates/html/leak.html -> /etc/passwd`` and an
    ``{% include %}`` of it would copy that file into the book."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        real = os.path.realpath(filename)
        if not any(os.path.commonpath([real, os.path.realpath(folder)])
                   == os.path.realpath(folder) for folder in self.searchpath):
            raise jinja2.TemplateNotFound(template)
        return source, filename, uptodate


#: Largest template a book may bring, in bytes.
MAX_TEMPLATE_BYTES = 1024 * 1024


class BookLoader(jinja2.BaseLoader):
    """A book's own ``templates/``, each file read once inside the book folder
    (``folio.confined``): a template that is a link out of it is not found."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get_source(self, environment, template):
        relative = "/".join(["templates", *jinja2.loaders.split_template_path(template)])
        try:
            read = read_inside(self.root, relative, MAX_TEMPLATE_BYTES)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError, NotAFile,
                Outside):
            raise jinja2.TemplateNotFound(template) from None
        except TooLarge as error:
            raise BuildError(self.root / relative, f"template is {error.size // 1024} KiB; "
                             f"the limit is {error.limit // 1024} KiB", code="template") \
                from None
        filename = str(self.root / read.relative)
        try:
            text = read.data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BuildError(filename, "template is not UTF-8 text", code="template") \
                from None
        return text, filename, lambda: True  # read once: the build uses what it read


def book_templates(book_root: Path | None) -> bool:
    """True if the book brings templates of its own (a ``templates`` folder, which
    must not lead out of the book folder)."""
    if book_root is None or not (book_root / "templates").is_dir():
        return False
    try:
        fd, _ = open_inside(book_root, "templates", folder=True)
    except Outside:
        raise BuildError(book_root / "templates", "is a link to a folder outside the book "
                         "folder; its templates are not used", code="outside") from None
    except OSError:
        return False
    os.close(fd)
    return True


def make_environment(book_root: Path | None = None) -> jinja2.Environment:
    """An environment for one book: its ``templates/`` override ours file by file."""
    builtin = FolderLoader(str(BUILTIN_TEMPLATES))
    loaders: list[jinja2.BaseLoader] = []
    if book_templates(book_root):
        loaders.append(BookLoader(book_root))
    loaders.append(jinja2.PrefixLoader({BUILTIN_PREFIX: builtin}, delimiter=":"))
    loaders.append(builtin)
    environment = jinja2.sandbox.SandboxedEnvironment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=_autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["css_string"] = css_string
    environment.filters["json"] = lambda value: Markup(json.dumps(value))
    #: True when the book brings templates of its own (they run bounded, and what
    #: they make is checked: ``formats.base.Builder.render``).
    environment.folio_book_templates = isinstance(loaders[0], BookLoader)
    if not environment.folio_book_templates:  # then every template is folio's own
        environment.bytecode_cache = ThemeBytecode(BUILTIN_TEMPLATES / "__pycache__",
                                                   compile_settings(environment))
    return environment


class ThemeBytecode(jinja2.FileSystemBytecodeCache):
    """folio's own templates compiled once, kept in ``folder`` (the theme's
    ``__pycache__``) as Python keeps a module's compiled code beside it, and compiled
    again when their text changes (Jinja2 checks each file's checksum). Compiling
    them was 0.07 s of every build's process, 0.03 s of it before an edit's part
    could be laid out (the print stylesheet and page). Only for an environment
    without a book's templates: code compiled from a book's files is never kept.
    ``settings``: what else the compiled code depends on (``compile_settings``).
    A folder that cannot be read or written (an installation one may only read) is no
    error: the templates are then compiled each time."""

    def __init__(self, folder: Path, settings: str) -> None:
        super().__init__(str(folder), f"%s.{settings}.jinja")

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except OSError:
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            os.makedirs(self.directory, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError:
            pass


def compile_settings(environment: jinja2.Environment) -> str:
    """A short hash of what Jinja2 compiles a template's text under: its version and
    the environment's syntax and whitespace settings (a change of them makes new
    compiled files, not stale ones)."""
    autoescape = environment.autoescape
    settings = (jinja2.__version__, type(environment).__qualname__,
                environment.block_start_string, environment.block_end_string,
                environment.variable_start_string, environment.variable_end_string,
                environment.comment_start_string, environment.comment_end_string,
                environment.line_statement_prefix, environment.line_comment_prefix,
                environment.trim_blocks, environment.lstrip_blocks,
                environment.newline_sequence, environment.keep_trailing_newline,
                sorted(environment.extensions), environment.optimized,
                getattr(autoescape, "__qualname__", repr(autoescape)))
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:12]


#: Limits for a book's own templates, which run in a worker process of their own
#: (``sandbox.Child``): seconds for one page, MiB for the worker, characters of one
#: page ("A" * 1500000000 took 5.75 GB; nested range(100000) loops never ended).
TEMPLATE_SECONDS = 60.0
TEMPLATE_MEMORY_MIB = 1024.0
TEMPLATE_OUTPUT = 64 * 1024 * 1024


def template_seconds() -> float:
    """``TEMPLATE_SECONDS``, or ``FOLIO_TEMPLATE_TIMEOUT`` when that is a positive number."""
    try:
        value = float(os.environ.get("FOLIO_TEMPLATE_TIMEOUT", ""))
    except ValueError:
        return TEMPLATE_SECONDS
    return value if value > 0 else TEMPLATE_SECONDS


def render_limited(environment: jinja2.Environment, name: str, context: dict) -> str:
    """``render_template``, stopped once the page grows beyond ``TEMPLATE_OUTPUT``
    characters (run in the worker, which also bounds time and memory)."""
    def generate() -> str:
        parts, size = [], 0
        for part in environment.get_template(name).generate(**context):
            size += len(part)
            if size > TEMPLATE_OUTPUT:
                raise BuildError(name, f"template makes a page of more than "
                                 f"{TEMPLATE_OUTPUT // (1024 * 1024)} million characters; it "
                                 "was stopped", code="template")
            parts.append(part)
        return "".join(parts)

    return _rendered(generate, name)


def render_template(environment: jinja2.Environment, name: str, **context) -> str:
    """Render template ``name``; a fault in a (book's own) template is a BuildError
    naming the template file and line where it happened."""
    return _rendered(lambda: environment.get_template(name).render(**context), name)


def _rendered(render, name: str) -> str:
    try:
        return render()
    except jinja2.TemplateSyntaxError as error:
        raise BuildError(error.filename or name, f"template syntax error: {error.message}",
                         error.lineno or 0, code="template") from None
    except jinja2.sandbox.SecurityError as error:
        message, trace = f"template refused by the sandbox: {error}", error.__traceback__
    except jinja2.TemplateNotFound as error:
        message = f"template not found (or outside the templates folder): {error.name}"
        trace = error.__traceback__
    except jinja2.UndefinedError as error:
        message, trace = f"template uses an undefined value: {error.message}", error.__traceback__
    path, line = _template_position(trace, name)
    raise BuildError(path, message, line, code="template") from None


def _template_position(trace, name: str) -> tuple[str, int]:
    """The innermost template file and line in ``trace`` (Jinja2 rewrites its frames
    to point at the template source), or ``(name, 0)``."""
    found = (name, 0)
    while trace is not None:
        code = trace.tb_frame.f_code
        if code.co_filename.endswith((".html", ".xhtml", ".xml", ".css", ".opf", ".ncx")):
            relative = os.path.relpath(code.co_filename)
            found = (code.co_filename if relative.startswith("..") else relative, trace.tb_lineno)
        trace = trace.tb_next
    return found
