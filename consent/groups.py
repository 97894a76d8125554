"""The consent app's permission groups (created by ``core.groups``).

Consent officers see and export evidence, erase persons and edit consent texts. Editors request,
resend and revoke consent through their page edit permission; they get no evidence permission, so the
evidence and erasure views answer them with 403.
"""

from core.groups import GroupSpec

CONSENT_OFFICERS_GROUP = "Consent officers"

GROUPS = [
    GroupSpec(
        CONSENT_OFFICERS_GROUP,
        permissions=(
            "consent.view_evidence",
            "consent.erase_person",
            "consent.add_consenttext",
            "consent.change_consenttext",
            "consent.view_consenttext",
        ),
    ),
    GroupSpec("Editors", permissions=("consent.view_consenttext",), admin_access=False, create=False),
]
