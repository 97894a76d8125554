"""The website app's configuration, and Wagtail's frontend cache installed without its own purge handlers."""

from django.apps import AppConfig
from wagtail.contrib.frontend_cache import apps as frontend_cache_apps


class WebsiteConfig(AppConfig):
    name = "website"
    verbose_name = "Website"
    default = True

    def ready(self):
        from wagtail.admin.views.mixins import SpreadsheetExportMixin

        from consent.spreadsheets import FormulaSafeExportMixin

        from . import (
            checks,  # noqa: F401  (registers the deployment checks)
            organisation_hooks,  # noqa: F401  (answers core.organisation: the organisation's name)
            signal_handlers,
            story_hooks,  # noqa: F401  (answers the story pages' support box hook)
        )

        signal_handlers.connect(self)
        # Every CSV export of the admin (subscribers, dispatches, reach, Wagtail's own reports and
        # history) neutralises cells a spreadsheet would run as formulas.
        SpreadsheetExportMixin.write_csv_row = FormulaSafeExportMixin.write_csv_row


class FrontendCacheConfig(frontend_cache_apps.WagtailFrontendCacheAppConfig):
    """``wagtail.contrib.frontend_cache`` without its publish/unpublish handlers: one purger, ours.

    Its backends, ``PurgeBatch`` and purge task are used by ``website.cdn``; ``website.cache``
    decides what a change purges (the page's listings, feeds and index variants too) and when (at
    commit, and again shortly after). Wagtail's handlers would purge the page a second time, at
    once, before the change is committed.
    """

    default = False

    def ready(self):
        pass
