"""The workflow finish action (``WAGTAIL_FINISH_WORKFLOW_ACTION``).

Wagtail imports this module while ``wagtail.models`` is still loading, so nothing here may import
models at module level.
"""

import logging

logger = logging.getLogger(__name__)


def _candidate_revisions(workflow_state):
    """The revisions this workflow approved, newest first: the final task's, then earlier ones."""
    seen = set()
    task_states = workflow_state.task_states.select_related("revision").order_by("-started_at", "-pk")
    current = workflow_state.current_task_state
    ordered = ([current] if current is not None else []) + list(task_states)
    for task_state in ordered:
        revision = task_state.revision
        if revision is not None and revision.pk not in seen:
            seen.add(revision.pk)
            yield revision


def publish_consented_revision(workflow_state, user=None):
    """Publish the revision that the consent covers; Wagtail's default publishes the latest one.

    For a patient story that is the revision in moderation whose content a valid website consent
    covers. When none is covered (the consent was withdrawn during editorial approval, say) nothing
    is published and the refusal is logged in the page history, so approving never ends in an error.
    Other pages keep Wagtail's behaviour.
    """
    from wagtail.workflows import publish_workflow_state

    from .gate import ConsentGatedPageMixin, check_consent, log_blocked

    obj = workflow_state.content_object
    specific = getattr(obj, "specific", obj)
    if not isinstance(specific, ConsentGatedPageMixin):
        return publish_workflow_state(workflow_state, user=user)

    reason = "missing"
    for revision in _candidate_revisions(workflow_state):
        _consent, error = check_consent(revision.as_object())
        if error is None:
            # The workflow's approval is the authority here; the consent is checked again by the
            # page's publish() and save().
            return revision.publish(user=user, skip_permission_checks=True)
        reason = error.reason
    log_blocked(specific, user=user, revision=specific.get_latest_revision(), reason=reason)
    logger.warning("Workflow approved for page %s, but no consent covers it: not published.", specific.pk)
    return None
