"""The newsletter's old task paths, kept so that queued tasks keep running.

Each task now sits beside the function it runs: ``send_issue`` in ``newsletter.sending``,
``import_subscribers`` in ``newsletter.imports``. Rows already in the task table name them
``newsletter.tasks.send_issue`` and ``newsletter.tasks.import_subscribers``, and django-tasks
resolves that ``task_path`` with ``import_string``: these names must stay importable from here.
Nothing in the product imports this module.
"""

from .imports import import_subscribers
from .sending import send_issue

__all__ = ["import_subscribers", "send_issue"]
