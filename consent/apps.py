from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_save
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent")

    def ready(self):
        from . import signals  # noqa: F401
        from .gate import gate_save_through_any_class
        from .texts import ensure_default_texts

        post_migrate.connect(ensure_default_texts, sender=self, dispatch_uid="vertel_consent_texts")
        # An image file, a storyteller, a department, a theme or a tag changed: recheck the live
        # patient stories that show it (consent.coverage).
        from django.db.models.signals import post_save

        from .coverage import on_post_save

        post_save.connect(on_post_save, dispatch_uid="vertel_consent_coverage")
        # Any sender: a patient story saved as a Page or StoryPage instance (see the gate).
        pre_save.connect(gate_save_through_any_class, dispatch_uid="vertel_consent_gate_any_class")
