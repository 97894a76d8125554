"""The consent workflow task, the default "Patient story" workflow, and what a signature moves on.

``ConsentTask`` is a model outside ``models.py``: ``ConsentConfig.import_models`` imports this
module while Django loads the models. It stands on the policy (``consent.policy``), never on the
gate: the gate asks it for the workflow (``models ← policy ← workflow ← gate``). Its receivers are
connected in ``consent.signal_handlers``.
"""

import functools
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from wagtail.models import Task, TaskState

from core import channel_keys

from . import policy

logger = logging.getLogger(__name__)

WORKFLOW_NAME = "Patient story"
CONSENT_TASK_NAME = "Patient consent"
EDITORIAL_TASK_NAME = "Editorial approval"
MODERATORS_GROUP = "Moderators"
# The names above are stored as written (English); a reader sees them in their own language.
DEFAULT_NAMES = {
    WORKFLOW_NAME: _("Patient story"),
    CONSENT_TASK_NAME: _("Patient consent"),
    EDITORIAL_TASK_NAME: _("Editorial approval"),
}


class DisplayedName(str):
    """A workflow or task name Vertel gave: compared and saved as stored, shown in the reader's language.

    Wagtail shows ``workflow.name`` and ``task.name`` as stored wherever it names them (the page
    editor's status panel, the workflow history, the dashboard, the workflow admin, "Submit to
    …"). Every one of those renders the name through ``str()``, ``%`` or ``format()``; the database
    adapters and ``==`` use the stored characters. So a Dutch reader sees "Patiëntverhaal", an
    English one "Patient story", and a name someone typed themselves is never wrapped.
    """

    def __new__(cls, stored, message=None):
        name = super().__new__(cls, stored)
        name.message = message
        return name

    def __str__(self):
        return str(self.message) if self.message is not None else str.__str__(self)

    def __format__(self, spec):
        return format(str(self), spec)


@functools.cache
def _default_names():
    """Each default name and its translation in every language, to the message that translates it.

    A name saved from the admin form in Dutch ("Patiëntverhaal") is still ours and still shown in
    each reader's language.
    """
    names = {}
    for stored, message in DEFAULT_NAMES.items():
        names[stored] = message
        for code, _language in settings.LANGUAGES:
            with translation.override(code):
                names[str(message)] = message
    return names


def names_of(stored):
    """``stored`` and its translations: the names a default workflow or task may carry in the database."""
    message = DEFAULT_NAMES[stored]
    return [name for name, found in _default_names().items() if found is message]


def displayed_name(value, expression=None, connection=None):
    """A ``from_db_value`` converter for Wagtail's ``Workflow.name`` and ``Task.name`` (see ``ConsentConfig``)."""
    if value is None:
        return value
    message = _default_names().get(value)
    return DisplayedName(value, message) if message is not None else value


def revision_hash(revision):
    from .content import content_hash

    return content_hash(revision.as_object())


class ConsentTask(Task):
    """Completes when a valid signature covers the revision in moderation; nobody approves it by hand.

    ``start()`` approves at once when a consent already covers the revision (e.g. a re-submission
    of unchanged content); otherwise the task waits for the signer, whose signature approves it
    through ``approve_consent_task_on_signature`` below. While a consent request for the revision is
    pending, the story is locked so the signer reads exactly what will go live.
    """

    def start(self, workflow_state, user=None):
        task_state = super().start(workflow_state, user=user)
        if task_state.revision is not None and policy.website_covered(task_state.revision.as_object()):
            # update=False: WorkflowState.update() moves on by itself when the new task state is
            # no longer in progress (it called us and has not stored this state yet).
            task_state.approve(user=None, update=False)
        return task_state

    def get_actions(self, obj, user):
        # Only a signature approves this task: no button, not even for superusers.
        return []

    def user_can_access_editor(self, obj, user):
        return False

    def locked_for_user(self, obj, user):
        return pending_request_for_moderated_revision(obj) is not None

    def get_task_states_user_can_moderate(self, user, **kwargs):
        return TaskState.objects.none()

    @classmethod
    def get_description(cls):
        return _("Completes when the patient or their representative signs consent for the revision in moderation")

    class Meta:
        verbose_name = _("patient consent")
        verbose_name_plural = _("patient consent tasks")


def current_consent_task_state(story):
    """The in-progress consent task state of ``story``'s workflow, or ``None``."""
    workflow_state = story.current_workflow_state
    if workflow_state is None:
        return None
    task_state = workflow_state.current_task_state
    if task_state is None or task_state.status != TaskState.STATUS_IN_PROGRESS:
        return None
    if not isinstance(task_state.task.specific, ConsentTask):
        return None
    return task_state


def pending_request_for_moderated_revision(story):
    """A usable consent request for the revision in moderation, if the story waits for a signature."""
    from .models import ConsentRequest

    task_state = current_consent_task_state(story)
    if task_state is None or task_state.revision_id is None:
        return None
    pending = list(
        ConsentRequest.objects.filter(
            story_id=story.pk, status=ConsentRequest.Status.PENDING, expires_at__gt=timezone.now()
        )
    )
    if not pending:
        return None
    for request in pending:
        if request.revision_id == task_state.revision_id:
            return request
    moderated_hash = revision_hash(task_state.revision)
    return next((request for request in pending if request.content_hash == moderated_hash), None)


def approve_consent_task_on_signature(consent):
    """A signature for the revision in moderation approves the consent task and moves the workflow on."""
    story = consent.story
    if story is None or not consent.covers(channel_keys.WEBSITE) or not consent.is_active:
        return
    task_state = current_consent_task_state(story)
    if task_state is None or task_state.revision is None:
        return
    if revision_hash(task_state.revision) != consent.content_hash:
        # The signer consented to other content than the revision in moderation.
        return
    try:
        with transaction.atomic():
            task_state.specific.approve(user=None)
    except PermissionDenied:
        # Already approved or cancelled (a double submit): nothing left to do.
        logger.info("Consent task state %s was no longer in progress.", task_state.pk)


def ensure_patient_story_workflow():
    """Create (once) the "Patient story" workflow: patient consent, then editorial approval."""
    from django.contrib.auth.models import Group
    from wagtail.models import GroupApprovalTask, Workflow, WorkflowTask

    existing = find_patient_story_workflow()
    if existing is not None:
        return existing
    with transaction.atomic():
        workflow = Workflow.objects.filter(name__in=names_of(WORKFLOW_NAME)).first() or Workflow.objects.create(
            name=WORKFLOW_NAME
        )
        consent_task = ConsentTask.objects.filter(name__in=names_of(CONSENT_TASK_NAME), active=True).first()
        if consent_task is None:
            consent_task = ConsentTask.objects.create(name=CONSENT_TASK_NAME)
        editorial = GroupApprovalTask.objects.filter(name__in=names_of(EDITORIAL_TASK_NAME), active=True).first()
        if editorial is None:
            editorial = GroupApprovalTask.objects.create(name=EDITORIAL_TASK_NAME)
            editorial.groups.add(Group.objects.get_or_create(name=MODERATORS_GROUP)[0])
        WorkflowTask.objects.filter(workflow=workflow).delete()
        WorkflowTask.objects.create(workflow=workflow, task=consent_task, sort_order=0)
        WorkflowTask.objects.create(workflow=workflow, task=editorial, sort_order=1)
        if not workflow.active:
            workflow.active = True
            workflow.save(update_fields=["active"])
    return workflow


def find_patient_story_workflow():
    """The active workflow whose first task is an active consent task (its name may be changed)."""
    from wagtail.models import WorkflowTask

    first_tasks = WorkflowTask.objects.filter(
        workflow__active=True, task__active=True, task__in=ConsentTask.objects.all()
    ).select_related("workflow")
    for link in first_tasks.order_by("workflow_id"):
        if not WorkflowTask.objects.filter(workflow_id=link.workflow_id, sort_order__lt=link.sort_order).exists():
            return link.workflow
    return None


def get_patient_story_workflow():
    return find_patient_story_workflow() or ensure_patient_story_workflow()
