"""The newsletter app: its signal handlers are connected here, and the "Newsletter editors" group made."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = _("Newsletter")

    def ready(self):
        from . import signal_handlers

        signal_handlers.connect()
        post_migrate.connect(ensure_newsletter_group, dispatch_uid="vertel_newsletter_group")


def ensure_newsletter_group(**kwargs):
    """A "Newsletter editors" group with the newsletter's permissions and admin access, idempotently."""
    from django.contrib.auth.models import Group, Permission

    group, _created = Group.objects.get_or_create(name="Newsletter editors")
    # Exporting every address is granted one by one, to those who need it (data minimisation).
    wanted = (
        Permission.objects.filter(content_type__app_label="newsletter")
        .exclude(codename__startswith="delete_")
        .exclude(codename="export_subscribers")
    )
    admin_access = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
    group.permissions.add(*wanted, *admin_access)
