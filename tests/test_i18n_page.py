"""The Voilà page template's words: marked in English, put into the page's language as the
app server sends the page, and found by the Babel extractor."""

from __future__ import annotations

import io

from workbench.i18n import Translator, translator
from workbench.i18n_page import extract, localize_chunk
from workbench.workspace import skeleton_root

TEMPLATE = skeleton_root() / "extensions" / "voila" / "templates" / "workbench" / "index.html.j2"


class Upper(Translator):
    def gettext(self, message: str) -> str:
        return message.upper() + " <&>"


def test_markers_and_the_page_language_are_localised() -> None:
    chunk = (
        '<!DOCTYPE html>\n<html lang="en">\n<a><!--wb-->Skip to\n   content<!--/wb--></a>'
        "<p><!--wb-->Answers marked ‘Saved’ are stored.<!--/wb--></p>"
    )
    out = localize_chunk(chunk, Upper("es"))
    assert '<html lang="es">' in out and "<!--wb-->" not in out
    assert "<a>SKIP TO CONTENT &lt;&amp;&gt;</a>" in out  # one msgid, escaped translation
    assert "ANSWERS MARKED ‘SAVED’ ARE STORED." in out
    plain = "<div>cells</div>"
    assert localize_chunk(plain, Upper("es")) is plain  # the notebook's cells pass untouched


def test_a_real_language_translates_the_template() -> None:
    page = TEMPLATE.read_text(encoding="utf-8")
    greek = localize_chunk(page, translator("el"))
    assert "<!--wb-->" not in greek and "Skip to content" not in greek
    assert translator("el")._("Reload the page") in greek


def test_the_extractor_finds_every_marked_message_with_its_line() -> None:
    text = TEMPLATE.read_bytes()
    found = list(extract(io.BytesIO(text), None, None, {}))
    messages = [m for _line, _func, m, _c in found]
    assert "Skip to content" in messages and "Preparing part {part} of {count}…" in messages
    assert text.decode().count("<!--wb-->") == len(found)
    line, _f, message, _c = found[0]
    assert message in text.decode().splitlines()[line - 1]


def test_the_python_extractor_reads_calls_inside_f_strings() -> None:
    from babel.messages.extract import DEFAULT_KEYWORDS

    from workbench.i18n_page import extract_python

    source = (
        "x = f\"<h2>{escape(t._('Results of round {n}'))}</h2>\"\n"
        "y = t.ngettext('{n} rating', '{n} ratings', n)\n"
        "z = N_('Marked' ' and joined')\n"
        "w = t._(variable)\n"
        "v = other('not a keyword')\n"
    )
    found = list(extract_python(io.BytesIO(source.encode()), DEFAULT_KEYWORDS, [], {}))
    messages = {(line, m) for line, _f, m, _c in found}
    assert messages == {
        (1, "Results of round {n}"),
        (2, ("{n} rating", "{n} ratings", None)),
        (3, "Marked and joined"),
    }
