"""Accounts that talk to the loopback fakes: one place for every test folder that makes them.

``account_settings(kind, fake)`` gives the ``(config, credentials)`` of an account of ``kind``
pointed at ``fake``, with the webhook secrets when the fake has them (the conversation fakes do).
``account_maker(fakes)`` is the ``make_account(kind, **overrides)`` fixture's function: overrides
whose name is one of the adapter's credential fields replace a credential; ``name`` and ``active``
set the model fields; anything else is a setting.
"""

from channels.adapters import get_adapter_class
from tests.factories import ChannelAccountFactory

from . import linkedin


def account_settings(kind, fake):
    """``(config, credentials)`` of an account of ``kind`` that talks to ``fake``."""
    if kind == "mastodon":
        return {"instance_url": fake.url}, {"access_token": fake.token}
    if kind == "bluesky":
        return {"handle": fake.handle, "pds_url": fake.url}, {"app_password": fake.app_password}
    if kind == "linkedin":
        config = {
            "organization_id": fake.organization_id,
            "api_url": fake.url,
            "api_version": linkedin.active_version(),
        }
        return config, {"access_token": fake.token, **_secrets(fake, client_secret="client_secret")}
    meta = _secrets(fake, app_secret="app_secret", webhook_verify_token="verify_token")
    if kind == "facebook":
        return {"page_id": fake.page_id, "graph_url": fake.url}, {"page_access_token": fake.token, **meta}
    if kind == "instagram":
        return {"ig_user_id": fake.ig_user_id, "graph_url": fake.url}, {"access_token": fake.token, **meta}
    if kind == "webhook":
        return {"url": f"{fake.url}/hook"}, {"secret": fake.secret}
    raise LookupError(kind)


def _secrets(fake, **names):
    """The credentials ``{field: fake.<attribute>}`` for the attributes the fake has."""
    return {field: getattr(fake, attribute) for field, attribute in names.items() if hasattr(fake, attribute)}


def account_maker(fakes):
    def make_account(kind, **overrides):
        config, credentials = account_settings(kind, getattr(fakes, kind))
        secret_names = {field.name for field in get_adapter_class(kind).credential_fields}
        name = overrides.pop("name", f"{kind.title()} account")
        active = overrides.pop("active", True)
        for key, value in overrides.items():
            (credentials if key in secret_names else config)[key] = value
        return ChannelAccountFactory(name=name, kind=kind, active=active, config=config, credentials=credentials)

    return make_account
