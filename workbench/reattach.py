"""A participant who reloads gets their page back at once, on the kernel they had.

When a page opened with a personal link is served, the app server keeps its HTML and its
kernel id under the token's hash. Closing or reloading the tab asks for the kernel's
shutdown (the tab-close beacon); for such a kernel the shutdown is deferred by a grace
period. A request with the same personal link within that period gets the kept HTML:
the browser reconnects to the same kernel and shows the live widgets (including a round
that changed meanwhile). No kernel is started, so a wave of reloads (after a round
change, a crashed browser or a flaky network) costs nothing but the page bytes.

A workshop code link is never reattached: each use of it creates a new participant.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KERNEL_ID = re.compile(
    r'"kernelId"\s*:\s*"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"'
)


def kernel_id_of(html: str) -> str | None:
    """The kernel id a Voilà page connects to (from its ``jupyter-config-data``)."""
    found = KERNEL_ID.search(html)
    return found.group(1) if found else None


@dataclass
class Page:
    """A served page: its HTML, its kernel and the app notebook it belongs to."""

    kernel_id: str
    notebook: str
    html: str
    #: the page's language (a reload in another language gets a new page)
    language: str = "en"
    #: monotonic time until which a closed page's kernel is kept (None: page open)
    release_at: float | None = None


@dataclass
class ReloadCache:
    """Pages by token hash, and the kernels whose shutdown waits for a reload."""

    grace_s: float
    pages: dict[str, Page] = field(default_factory=dict)

    def keep(self, token_key: str, notebook: str, html: str, language: str = "en") -> Page | None:
        """Remember the page served for a token; None if the HTML names no kernel."""
        kernel_id = kernel_id_of(html)
        if kernel_id is None or self.grace_s <= 0:
            return None
        page = Page(kernel_id=kernel_id, notebook=notebook, html=html, language=language)
        self.pages[token_key] = page
        return page

    def reattach(
        self, token_key: str, notebook: str, alive: set[str], language: str = "en"
    ) -> Page | None:
        """The page to send again for a reload, if its kernel still runs (and the reload
        asks for the same language: a switch of language builds a new page)."""
        page = self.pages.get(token_key)
        if page is None or page.notebook != notebook or page.language != language:
            return None
        if page.kernel_id not in alive:
            del self.pages[token_key]
            return None
        page.release_at = None  # open again: no shutdown pending
        return page

    def owner(self, kernel_id: str) -> str | None:
        """The token hash whose page uses ``kernel_id``."""
        for key, page in self.pages.items():
            if page.kernel_id == kernel_id:
                return key
        return None

    def forget(self, kernel_id: str) -> None:
        """Drop the page of ``kernel_id`` (its kernel died: a reload needs a new one)."""
        key = self.owner(kernel_id)
        if key is not None:
            del self.pages[key]

    def release(self, kernel_id: str, now: float) -> bool:
        """The page of ``kernel_id`` closed: keep the kernel for the grace period.

        Returns False if no kept page uses it (shut it down now).
        """
        key = self.owner(kernel_id)
        if key is None:
            return False
        self.pages[key].release_at = now + self.grace_s
        return True

    def expired(self, now: float, alive: set[str], connected: set[str]) -> list[str]:
        """Kernels whose grace period ended with no page connected (to shut down).

        Forgets their pages and those of kernels that are gone (culled, crashed); a
        kernel a page is connected to again (a reload that came before the closing
        tab's beacon, the same link in another tab) is open, not released.
        """
        out = []
        for key, page in list(self.pages.items()):
            if page.kernel_id not in alive:
                del self.pages[key]
            elif page.release_at is not None and now >= page.release_at:
                if page.kernel_id in connected:
                    page.release_at = None
                else:
                    out.append(page.kernel_id)
                    del self.pages[key]
        return out
