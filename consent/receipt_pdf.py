"""A PDF copy of the signer's receipt (fpdf2), attached to the receipt email."""

from django.utils import formats
from django.utils.translation import gettext as _
from fpdf import FPDF

from .content import signed_hash


def _latin1(text):
    # The PDF core fonts cover Latin-1; anything else is replaced rather than failing the receipt.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def receipt_pdf(consent, channel_labels, withdraw_url):
    """Return the PDF bytes of the receipt: what was agreed, when, the reference and the withdrawal link."""
    pdf = FPDF(format="A4")
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(
        0,
        9,
        _latin1(_("Receipt of your consent, reference %(reference)s") % {"reference": consent.reference}),
        **line,
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", size=11)
    rows = [
        (_("Signed on"), formats.date_format(consent.signed_at, "DATETIME_FORMAT")),
        (_("Channels"), ", ".join(str(channel_labels.get(key, key)) for key in consent.channels)),
        (_("How you are named"), consent.naming),
        (_("Photos"), _("yes") if consent.allow_photos else _("no")),
        (_("Video"), _("yes") if consent.allow_video else _("no")),
        (_("Until"), formats.date_format(consent.valid_until, "DATE_FORMAT") if consent.valid_until else "-"),
        (_("Fingerprint of the story you signed (SHA-256)"), signed_hash(consent)),
        (_("Fingerprint of the consent text (SHA-256)"), consent.consent_text_hash),
    ]
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(label), **line)
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, _latin1(value), **line)
        pdf.ln(1)
    pdf.ln(3)
    pdf.multi_cell(0, 6, _latin1(_("You can withdraw your consent at any time, without an account:")), **line)
    pdf.set_font("Courier", size=8)
    pdf.multi_cell(0, 5, _latin1(withdraw_url), **line)
    pdf.set_font("Helvetica", size=11)
    pdf.ln(2)
    pdf.multi_cell(
        0,
        6,
        _latin1(
            _("Emails already sent and copies others made cannot be recalled. Withdrawing never affects your care.")
        ),
        **line,
    )
    return bytes(pdf.output())
