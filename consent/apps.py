"""The consent app: loads ``ConsentTask`` with the models and connects the receivers."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save, pre_save
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "consent"
    verbose_name = _("Consent")

    def import_models(self):
        super().import_models()
        # ``ConsentTask`` (a Wagtail task, so a model) lives beside the workflow it runs; importing it
        # here registers it with the models without ``models.py`` importing the workflow.
        from . import workflow  # noqa: F401

    def ready(self):
        from wagtail.models import Task, Workflow

        from . import signal_handlers as handlers
        from .signals import consent_signed
        from .workflow import displayed_name

        # The default workflow's and tasks' names, read from the database, show in the reader's
        # language wherever Wagtail names them (consent.workflow.DisplayedName).
        for model in (Workflow, Task):
            model._meta.get_field("name").from_db_value = displayed_name

        post_migrate.connect(handlers.ensure_texts_after_migrate, sender=self, dispatch_uid="vertel_consent_texts")
        post_migrate.connect(
            handlers.ensure_workflow_after_migrate, dispatch_uid="consent.workflow.ensure_patient_story_workflow"
        )
        consent_signed.connect(handlers.approve_on_signature, dispatch_uid="consent.workflow.approve_on_signature")
        consent_signed.connect(handlers.tell_editors_of_signature, dispatch_uid="consent.editor_notices.signed")
        # An image file, a storyteller, a department, a theme or a tag changed: recheck the live
        # patient stories that show it (consent.coverage).
        post_save.connect(handlers.recheck_after_change, dispatch_uid="vertel_consent_coverage")
        # Any sender: a patient story saved as a Page or StoryPage instance (see the gate).
        pre_save.connect(handlers.refuse_uncovered_live_save, dispatch_uid="vertel_consent_gate_any_class")
