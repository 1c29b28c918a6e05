"""What speaking the participant's language costs (issue 16), against the plain alternative.

1. Catalogs: compiling a ``.po`` with Babel when first used (what the workbench does, so
   a shipped catalog can never be out of step with a compiled one) against loading a
   precompiled ``.mo`` (the usual alternative) — paid once per process and language.
2. The page template: putting its marked words into the page's language as the page is
   sent (``i18n_page.localize_chunk`` over the whole rendered template) against sending
   it untouched — paid once per page.
3. The app's sections: building the header, diagnosis and policy-mix HTML in Spanish
   against English (gettext lookups, Babel number formats) — paid once per page.

    python benchmarks/bench_i18n.py [--repeat 200]

Prints each time and the ratio; exits 1 if localising a page costs more than 5 ms.
"""

from __future__ import annotations

import argparse
import gettext
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from workbench.appsections import diagnosis_html, policy_mix_html
from workbench.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, _catalog, translator
from workbench.i18n_page import localize_chunk
from workbench.workspace import skeleton_root

TEMPLATE = skeleton_root() / "extensions" / "voila" / "templates" / "workbench" / "index.html.j2"
PAGE_BUDGET_S = 0.005


def best(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compile_catalogs(repeat: int, tmp: Path) -> None:
    print("1. catalogs: Babel compiles the .po at first use vs loading a precompiled .mo")
    for code in LANGUAGES[1:]:
        po = LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=code)
        mo = tmp / f"{code}.mo"
        with mo.open("wb") as fh:
            write_mo(fh, catalog)

        def ours(code: str = code) -> object:
            _catalog.cache_clear()
            return _catalog(code)

        def plain(mo: Path = mo) -> object:
            with mo.open("rb") as fh:
                return gettext.GNUTranslations(fh)

        a, b = best(ours, repeat), best(plain, repeat)
        print(f"   {code}: {len(catalog)} messages  .po {a * 1e3:6.2f} ms   .mo {b * 1e3:6.2f} ms"
              f"   ratio {a / b:5.1f}x  (once per process)")  # fmt: skip


def localise_page(repeat: int) -> float:
    print("2. the page template, localised as it is sent vs sent untouched")
    page = TEMPLATE.read_text(encoding="utf-8")
    worst = 0.0
    for code in ("es", "de", "el"):
        t = translator(code)
        a = best(lambda t=t: localize_chunk(page, t), repeat)
        b = best(lambda: page.encode(), repeat)
        worst = max(worst, a)
        print(f"   {code}: {a * 1e6:7.1f} µs per page vs {b * 1e6:5.1f} µs (encode only): "
              f"ratio {a / b:6.1f}x")  # fmt: skip
    return worst


def sections(repeat: int) -> None:
    print("3. the app's sections in Spanish vs English")
    diagnosis = {
        "region": {"code": "ES61", "name": "Andalucía"},
        "latest": {"unemployment_rate": {"value": 15.2}, "eu_unemployment_rate": {"value": 6.0}},
        "context": {"unemployment": "high", "skill_level": "low", "cycle_phase": "expansion"},
        "transitions": [
            {"from": f"o{i}", "to": f"d{i}", "similarity": 0.4, "rank": 1, "skills_to_learn": []}
            for i in range(10)
        ],
        "policy_links": [{"programme_type": "training", "reason": "skill gaps"}],
    }
    option = {
        "rank": 1, "programme_type": "training", "label": "Training", "p_positive": 0.4,
        "p_positive_low": 0.1, "p_positive_high": 0.7, "votes": 7, "studies": 3, "reason": "r",
    }  # fmt: skip
    mix = {"recommendation": {"by_group": {"youth": [option] * 5}, "notes": ["n"]}}

    def build(code: str) -> Callable[[], object]:
        t = translator(code)
        return lambda: (diagnosis_html(1, diagnosis, {}, t), policy_mix_html(1, mix, {}, t))

    es, en = best(build("es"), repeat), best(build("en"), repeat)
    print(f"   es {es * 1e6:7.1f} µs   en {en * 1e6:7.1f} µs   ratio {es / en:4.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        compile_catalogs(max(args.repeat // 10, 5), Path(tmp))
    worst = localise_page(args.repeat)
    sections(args.repeat)
    ok = worst <= PAGE_BUDGET_S
    print(f"localising a page: worst {worst * 1e3:.2f} ms (budget {PAGE_BUDGET_S * 1e3:.0f} ms): "
          f"{'ok' if ok else 'OVER'}")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
