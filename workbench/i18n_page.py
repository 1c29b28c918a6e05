"""The translatable words of the Voilà page template (``index.html.j2``).

Voilà renders a preheated kernel's page before the participant's request arrives, so the
template cannot know the language. It marks its words instead, in English:
``<!--wb-->Skip to content<!--/wb-->``. Unlocalised, the page reads in English (the
facilitator dashboard, served by the lab's Voilà, stays so). The app server's page
handler passes every chunk it sends through :func:`localize_chunk`, which puts each
marked message into the page's language and sets ``<html lang>``.

:func:`extract` is the Babel extractor for these markers, :func:`extract_python` the
one for the Python code (``babel.cfg``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import escape, unescape
from typing import IO, Any

from workbench.i18n import Translator

#: a marked message: English, HTML-escaped, one line or several
MARKER_RE = re.compile(r"<!--wb-->(.*?)<!--/wb-->", re.DOTALL)
_HTML_LANG_RE = re.compile(r'<html lang="[a-zA-Z-]*">')


def _message(marked: str) -> str:
    """The msgid of a marked text: unescaped, whitespace runs made single spaces."""
    return " ".join(unescape(marked).split())


def localize_chunk(chunk: str, t: Translator) -> str:
    """A chunk of the page in ``t``'s language (markers replaced, ``<html lang>`` set)."""
    if "<!--wb-->" not in chunk and "<html lang=" not in chunk:
        return chunk
    chunk = _HTML_LANG_RE.sub(f'<html lang="{t.code}">', chunk, count=1)
    return MARKER_RE.sub(lambda m: escape(t.gettext(_message(m.group(1)))), chunk)


def extract(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel extraction method: every ``<!--wb-->…<!--/wb-->`` message, with its line."""
    text = fileobj.read().decode(options.get("encoding", "utf-8"))
    for match in MARKER_RE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        yield line, None, _message(match.group(1)), []


def extract_python(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, Any]
) -> Iterator[tuple[int, str, Any, list[str]]]:
    """Babel extraction method for Python that also reads calls inside f-strings.

    Babel's own Python extractor tokenizes, and on Python 3.11 an f-string is one token,
    so ``f"<h2>{t._('Results')}</h2>"`` would go unextracted (and untranslated). This one
    walks the syntax tree: every call of a keyword (``_``, ``t._``, ``ngettext``…) with
    string-literal arguments, wherever it sits.
    """
    import ast

    tree = ast.parse(fileobj.read().decode(options.get("encoding", "utf-8")))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name is None or name not in keywords:
            continue
        args = tuple(
            arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else None
            for arg in node.args
        )
        if not args or all(a is None for a in args):
            continue
        yield node.lineno, name, args if len(args) > 1 else args[0], []
