"""The workflow finish action (``WAGTAIL_FINISH_WORKFLOW_ACTION``).

Wagtail imports this module while ``wagtail.models`` is still loading, so nothing here may import
models at module level.
"""


def publish_consented_revision(workflow_state):
    """Publish the revision that the consent covers; Wagtail's default publishes the latest one."""
    from wagtail.workflows import publish_workflow_state

    return publish_workflow_state(workflow_state)
