"""Deployment checks of Vertel's own settings (``manage.py check --deploy``)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

# The key website/settings/dev.py falls back to: public in the repository, so it protects nothing.
DEVELOPMENT_CREDENTIALS_KEY = "ZGV2LW9ubHktY3JlZGVudGlhbHMta2V5LTMyYnl0ZXM="
TEST_CREDENTIALS_KEY = "dGVzdC1vbmx5LWNyZWRlbnRpYWxzLWtleS0zMmJ5dGU="


@register(Tags.security, deploy=True)
def check_credentials_key(app_configs, **kwargs):
    key = (getattr(settings, "VERTEL", {}) or {}).get("CREDENTIALS_KEY", "")
    if key in (DEVELOPMENT_CREDENTIALS_KEY, TEST_CREDENTIALS_KEY):
        return [
            Warning(
                "VERTEL_CREDENTIALS_KEY is the public development or test key: anyone with the repository "
                "can decrypt the stored channel credentials.",
                hint="Generate a key of your own with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.',
                id="vertel.W001",
            )
        ]
    return []
