"""Background work of the newsletter, run by ``manage.py db_worker``."""

from django_tasks import task

from .sending import send_issue_now


@task()
def send_issue(issue_id):
    """Send an issue to its recipients, or resume sending it; safe to run twice (see ``sending``)."""
    return send_issue_now(issue_id)


@task()
def import_subscribers(import_id):
    """Import (or resume importing) an uploaded subscriber CSV; safe to run twice (see ``imports``)."""
    from .imports import run_import

    return run_import(import_id)
