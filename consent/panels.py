"""The consent overview on the Wagtail dashboard: what needs an editor's attention."""

import datetime

from django.utils import timezone
from wagtail.admin.ui.components import Component

from .models import Consent, ConsentRequest


class ConsentOverviewPanel(Component):
    """Pending requests, consents expiring within 30 days, and withdrawals of the last 30 days."""

    name = "consent_overview"
    template_name = "consent/admin/home_panel.html"
    order = 150

    def get_context_data(self, parent_context):
        now = timezone.now()
        month = datetime.timedelta(days=30)
        return {
            "pending": ConsentRequest.objects.filter(
                status=ConsentRequest.Status.PENDING, expires_at__gt=now
            ).order_by("-created_at")[:10],
            "expiring": Consent.objects.active()
            .filter(valid_until__lte=now + month)
            .select_related("request")
            .order_by("valid_until")[:10],
            "withdrawn": Consent.objects.filter(withdrawn_at__gte=now - month)
            .select_related("request")
            .order_by("-withdrawn_at")[:10],
        }
