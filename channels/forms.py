"""The channels admin's forms: a channel account (its kind's settings and secrets, secrets never shown
back) and "Mark as sent".

The account form's fields come from the adapter class (``config_fields``, ``credential_fields``). A secret field
is always rendered empty, with a masked hint of what is stored; leaving it empty keeps the stored
value. Secrets are written with ``ChannelAccount.set_credentials`` (encrypted at rest).
"""

from django import forms
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.admin.forms import WagtailAdminModelForm

from . import crypto
from .adapters import get_adapter_class, kind_choices
from .models import ChannelAccount

CONFIG_PREFIX = "config__"
SECRET_PREFIX = "secret__"  # noqa: S105 - a form field prefix, not a secret


def valid_kind(kind):
    return kind in dict(kind_choices())


class ChannelAccountForm(WagtailAdminModelForm):
    """Create or edit one account of a given kind (fixed once the account exists)."""

    class Meta:
        model = ChannelAccount
        fields = ["name", "active", "token_expires_at"]
        help_texts = {
            "token_expires_at": gettext_lazy(
                "Filled in by 'Check connection' where the network says; otherwise enter the date the "
                "network told you, so editors are warned before it stops working."
            )
        }

    def __init__(self, *args, kind=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = self.instance.kind if self.instance.pk else kind
        self.adapter_cls = get_adapter_class(self.kind)
        self.stored_credentials = self._stored_credentials()
        config = self.instance.config or {}
        posts_out = self._posts_out()
        for spec in self.adapter_cls.config_fields:
            help_text = spec.help_text
            if posts_out and spec.name in self.adapter_cls.identity_fields:
                # Removal goes where each post was made (Dispatch.network_identity), not to the new value.
                help_text = " ".join(
                    part
                    for part in (
                        str(spec.help_text or ""),
                        ngettext(
                            "%(count)s post of this account is on the network. Changing this does not move it: "
                            "it is still removed where it was made, and if this account can no longer delete "
                            "it, a person is asked to.",
                            "%(count)s posts of this account are on the network. Changing this does not move "
                            "them: they are still removed where they were made, and one this account can no "
                            "longer delete goes to a person.",
                            posts_out,
                        )
                        % {"count": posts_out},
                    )
                    if part
                )
            self.fields[CONFIG_PREFIX + spec.name] = forms.CharField(
                label=spec.label,
                required=spec.required,
                help_text=help_text,
                initial=config.get(spec.name, ""),
                max_length=1000,
            )
        for spec in self.adapter_cls.credential_fields:
            stored = self.stored_credentials.get(spec.name, "")
            help_parts = [str(spec.help_text)] if spec.help_text else []
            if stored:
                help_parts.append(_("Stored: %(masked)s. Leave empty to keep it.") % {"masked": crypto.mask(stored)})
            self.fields[SECRET_PREFIX + spec.name] = forms.CharField(
                label=spec.label,
                # A stored secret may stay; a missing required one must be given.
                required=spec.required and not stored,
                help_text=" ".join(help_parts),
                widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
                strip=True,
                max_length=5000,
            )

    def _posts_out(self):
        """How many posts made through this account are (or may be) on the network and not removed."""
        if not self.instance.pk:
            return 0
        from .models import Dispatch

        return (
            self.instance.dispatches.filter(state=Dispatch.State.SENT)
            .exclude(retraction=Dispatch.Retraction.RETRACTED)
            .count()
        )

    def _stored_credentials(self):
        if not self.instance.pk:
            return {}
        try:
            return self.instance.get_credentials()
        except crypto.CredentialsUnreadable:
            # Key changed: every secret must be entered again.
            return {}

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk and self.instance.credentials_encrypted and not self.stored_credentials:
            missing = [
                spec.label
                for spec in self.adapter_cls.credential_fields
                if spec.required and not cleaned.get(SECRET_PREFIX + spec.name)
            ]
            if missing:
                raise forms.ValidationError(
                    _("The stored credentials cannot be read with the current key; enter them again.")
                )
        return cleaned

    def save(self, commit=True):
        account = super().save(commit=False)
        account.kind = self.kind
        account.config = {
            spec.name: self.cleaned_data.get(CONFIG_PREFIX + spec.name, "") for spec in self.adapter_cls.config_fields
        }
        credentials = {}
        for spec in self.adapter_cls.credential_fields:
            entered = self.cleaned_data.get(SECRET_PREFIX + spec.name, "")
            value = entered or self.stored_credentials.get(spec.name, "")
            if value:
                credentials[spec.name] = value
        changed_secret = credentials != self.stored_credentials
        account.set_credentials(credentials)
        if changed_secret and account.pk:
            # New secrets: what the last check said no longer holds.
            account.status = ChannelAccount.Status.UNCHECKED
            account.status_message = ""
        if commit:
            account.save()
        return account


class MarkSentForm(forms.Form):
    """The "Mark as sent" form: the post's address on the network (http or https), kept to remove it later."""

    remote_url = forms.URLField(
        label=gettext_lazy("Address of the post"),
        max_length=1000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text=gettext_lazy("Open the post on the network and copy its address, e.g. https://…/posts/123."),
    )
