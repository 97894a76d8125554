"""The old dotted paths of the channels' background tasks, for rows already in the task table.

Each task now sits beside the function it runs: ``send_dispatch`` in ``channels.dispatch``,
``retract_dispatch`` in ``channels.removal``, and new rows name those modules. Rows queued before
the move name ``channels.tasks.send_dispatch`` and ``channels.tasks.retract_dispatch``; the
worker imports a row's task by that path (django-tasks' ``import_string``), so these names must
keep resolving until no such row is left. Nothing in the product enqueues them from here.
"""

from .dispatch import send_dispatch
from .removal import retract_dispatch

__all__ = ["retract_dispatch", "send_dispatch"]
