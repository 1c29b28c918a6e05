"""``workbench.reattach``: a reload of a personal link gets its page and kernel back."""

from __future__ import annotations

from workbench.reattach import ReloadCache, kernel_id_of

KID = "0a1b2c3d-0000-4000-8000-00000000abcd"
PAGE = f'<script id="jupyter-config-data">{{"kernelId": "{KID}", "x": 1}}</script><p>app</p>'


def test_kernel_id_is_read_from_the_page_config() -> None:
    assert kernel_id_of(PAGE) == KID
    assert kernel_id_of("<p>no kernel</p>") is None
    assert kernel_id_of('"kernelId": "not-a-uuid"') is None


def test_a_reload_within_the_grace_period_gets_the_same_page() -> None:
    cache = ReloadCache(grace_s=60)
    assert cache.keep("tok", "app.ipynb", PAGE) is not None
    assert cache.release(KID, now=100.0) is True
    page = cache.reattach("tok", "app.ipynb", alive={KID})
    assert page is not None and (page.html, page.kernel_id, page.release_at) == (PAGE, KID, None)
    # open again: the grace period no longer runs
    assert cache.expired(now=10_000.0, alive={KID}, connected=set()) == []


def test_the_kernel_goes_after_the_grace_period_and_then_the_page_too() -> None:
    cache = ReloadCache(grace_s=60)
    cache.keep("tok", "app.ipynb", PAGE)
    cache.release(KID, now=100.0)
    assert cache.expired(now=159.9, alive={KID}, connected=set()) == []
    assert cache.expired(now=160.0, alive={KID}, connected=set()) == [KID]
    assert cache.reattach("tok", "app.ipynb", alive={KID}) is None
    assert cache.pages == {}


def test_a_connected_kernel_is_not_shut_down_at_expiry() -> None:
    cache = ReloadCache(grace_s=60)
    cache.keep("tok", "app.ipynb", PAGE)
    cache.release(KID, now=0.0)  # the beacon of a closing tab, after the reload connected
    assert cache.expired(now=61.0, alive={KID}, connected={KID}) == []
    assert cache.pages["tok"].release_at is None


def test_no_reattach_to_a_dead_kernel_another_app_or_an_unknown_kernel() -> None:
    cache = ReloadCache(grace_s=60)
    cache.keep("tok", "app.ipynb", PAGE)
    assert cache.reattach("tok", "other.ipynb", alive={KID}) is None
    assert cache.reattach("other-token", "app.ipynb", alive={KID}) is None
    assert cache.release("ffffffff-0000-4000-8000-000000000000", now=0.0) is False
    assert cache.reattach("tok", "app.ipynb", alive=set()) is None  # culled or crashed
    assert cache.pages == {}


def test_without_a_grace_period_nothing_is_kept() -> None:
    cache = ReloadCache(grace_s=0)
    assert cache.keep("tok", "app.ipynb", PAGE) is None
    assert cache.release(KID, now=0.0) is False


def test_a_dead_kernel_s_page_is_forgotten() -> None:
    cache = ReloadCache(grace_s=60)
    cache.keep("tok", "app.ipynb", PAGE)
    cache.forget("ffffffff-0000-4000-8000-000000000000")  # another kernel: nothing changes
    assert "tok" in cache.pages
    cache.forget(KID)
    assert cache.reattach("tok", "app.ipynb", alive={KID}) is None
