"""The site's periodic job: a page-cache purge that failed during an outage is paid once the cache is back."""

from core.schedule import periodic


@periodic("page-cache-owed-purge")
def settle_owed_page_cache_purge():
    from .cache import settle_owed_purge

    settle_owed_purge()
