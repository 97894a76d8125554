"""Public consent pages reached by a personal link: signing (``signing``) and withdrawal (``withdrawal``).

These pages are personal: never indexed, never cached, CSRF-protected, rate-limited, and they
show nothing about a story to someone without a valid link (``personal``). ``consent.urls`` routes
to the views named here.
"""

from .personal import RATE_LIMIT, RATE_WINDOW
from .signing import sign_view
from .withdrawal import lost_withdrawal_link_view, withdraw_view

__all__ = ["RATE_LIMIT", "RATE_WINDOW", "lost_withdrawal_link_view", "sign_view", "withdraw_view"]
