from django.apps import AppConfig


class WebsiteConfig(AppConfig):
    name = "website"
    verbose_name = "Website"

    def ready(self):
        from django.db.models.signals import post_migrate
        from wagtail.admin.views.mixins import SpreadsheetExportMixin

        from consent.spreadsheets import FormulaSafeExportMixin
        from core.groups import ensure_groups

        from . import checks  # noqa: F401  (registers the deployment checks)
        from .cache import connect_signals
        from .public_address import sync_after_migrate

        connect_signals()
        # Every app's permission groups (``<app>/groups.py``), created in one place (core.groups). Without
        # a sender: the permissions of the apps and wagtailadmin exist only after their own post_migrate.
        post_migrate.connect(ensure_groups, dispatch_uid="vertel.ensure_groups")
        # After every migrate the default Site takes its address from BASE_URL (website/public_address.py).
        post_migrate.connect(sync_after_migrate, sender=self, dispatch_uid="vertel.sync_site_address")
        # Every CSV export of the admin (subscribers, dispatches, reach, Wagtail's own reports and
        # history) neutralises cells a spreadsheet would run as formulas.
        SpreadsheetExportMixin.write_csv_row = FormulaSafeExportMixin.write_csv_row
