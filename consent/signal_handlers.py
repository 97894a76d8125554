"""Every receiver of the consent app, in one place; ``ConsentConfig.ready()`` connects them.

Each receiver takes the signal's arguments and hands the work to the module that owns it: the gate
(a live save through a parent class), coverage (a shown file or tag changed), the workflow (a
signature moves the consent task on; the default workflow after ``migrate``), the editors' notices
(a signature is told to the story's owner and the editor who asked) and the texts (the default
consent texts and groups after ``migrate``). Nothing is connected at import time.
"""

import logging

from django.db import DatabaseError

from .coverage import on_post_save
from .editor_notices import notify_signed
from .gate import gate_save_through_any_class
from .texts import ensure_default_texts
from .workflow import approve_consent_task_on_signature, ensure_patient_story_workflow

logger = logging.getLogger(__name__)


def refuse_uncovered_live_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """``pre_save`` of any model: a patient story saved live through a parent class (``consent.gate``)."""
    gate_save_through_any_class(sender, instance, raw=raw, update_fields=update_fields, **kwargs)


def recheck_after_change(sender, instance, created=False, raw=False, **kwargs):
    """``post_save`` of any model: recheck the live patient stories that show ``instance`` (``consent.coverage``)."""
    on_post_save(sender, instance, created=created, raw=raw, **kwargs)


def tell_editors_of_signature(sender, consent, **kwargs):
    """``consent_signed``: the story's owner and the editor who asked hear of it (``consent.editor_notices``)."""
    notify_signed(consent)


def approve_on_signature(sender, consent, **kwargs):
    """``consent_signed``: a signature for the revision in moderation approves the consent task."""
    approve_consent_task_on_signature(consent)


def ensure_workflow_after_migrate(sender, app_config=None, using="default", **kwargs):
    """``post_migrate``: create the "Patient story" workflow once the consent app's tables exist."""
    # post_migrate is sent once per app after every migrate (and after a test database flush);
    # react once, to the consent app's, when all tables exist.
    if app_config is None or app_config.label != "consent":
        return
    try:
        ensure_patient_story_workflow()
    except DatabaseError:
        # Migrated only part of the way (e.g. ``migrate consent 0001``): the tables come later.
        logger.warning("The patient story workflow could not be created yet.")


def ensure_texts_after_migrate(sender, **kwargs):
    """``post_migrate`` of the consent app: the default consent texts."""
    ensure_default_texts(sender=sender, **kwargs)
