"""Background tasks of the channels app, run by the worker (``manage.py db_worker``).

Both tasks are safe to run twice or concurrently: each locks its row and does nothing unless the
row is due, so a duplicate enqueue (the periodic sweep re-enqueues what looks lost) costs one query.
"""

from django_tasks import task

from .dispatch import run_dispatch
from .retraction import run_retraction


@task()
def send_dispatch(dispatch_id):
    """Send one story's post to one channel (see ``channels.dispatch.run_dispatch``)."""
    return run_dispatch(dispatch_id)


@task()
def retract_dispatch(dispatch_id):
    """Remove one post from its channel (see ``channels.retraction.run_retraction``)."""
    return run_retraction(dispatch_id)
