from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent")

    def ready(self):
        from . import signals  # noqa: F401
        from .texts import ensure_default_texts, ensure_groups

        post_migrate.connect(ensure_default_texts, sender=self, dispatch_uid="vertel_consent_texts")
        # Without a sender: permissions of consent and wagtailadmin exist only after their own post_migrate.
        post_migrate.connect(ensure_groups, dispatch_uid="vertel_consent_groups")
