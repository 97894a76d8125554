from django.apps import AppConfig


class WebsiteConfig(AppConfig):
    name = "website"
    verbose_name = "Website"

    def ready(self):
        from wagtail.admin.views.mixins import SpreadsheetExportMixin

        from consent.spreadsheets import FormulaSafeExportMixin

        from . import checks  # noqa: F401  (registers the deployment checks)
        from .cache import connect_signals

        connect_signals()
        # Every CSV export of the admin (subscribers, dispatches, reach, Wagtail's own reports and
        # history) neutralises cells a spreadsheet would run as formulas.
        SpreadsheetExportMixin.write_csv_row = FormulaSafeExportMixin.write_csv_row
