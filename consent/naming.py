"""How a storyteller is named: the vocabulary the signer chooses from and the story page stores.

It lives in consent because the signed consent decides it: the signing form offers these choices,
the manifest records the one in use, and the editor applies the one signed. The story pages (in
``stories``) store it in their ``naming`` field and resolve it to a name.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Naming(models.TextChoices):
    """How a storyteller is named on every channel; the signed consent decides."""

    FULL_NAME = "full_name", _("Full name")
    FIRST_NAME = "first_name", _("First name only")
    PSEUDONYM = "pseudonym", _("Pseudonym")
    ANONYMOUS = "anonymous", _("Anonymous")
