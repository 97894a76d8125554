"""A PDF copy of the signer's receipt (fpdf2), attached to the receipt email.

It shows the same rows as the receipt page and the e-mail (``consent.receipt.receipt_rows``).
"""

from django.utils.translation import gettext as _
from fpdf import FPDF

from core.organisation import organisation_name

from .receipt import receipt_rows


def _latin1(text):
    # The PDF core fonts cover Latin-1; anything else is replaced rather than failing the receipt.
    return str(text).encode("latin-1", "replace").decode("latin-1")


def receipt_pdf(consent, channel_labels, withdraw_url):
    """Return the PDF bytes of the receipt: what was agreed, when, the reference and the withdrawal link."""
    pdf = FPDF(format="A4")
    name = organisation_name()
    pdf.set_title(_latin1(_("Receipt of your consent, reference %(reference)s") % {"reference": consent.reference}))
    pdf.set_author(_latin1(name))
    line = {"new_x": "LMARGIN", "new_y": "NEXT"}
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, _latin1(name), **line)
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(
        0,
        9,
        _latin1(_("Receipt of your consent, reference %(reference)s") % {"reference": consent.reference}),
        **line,
    )
    pdf.ln(4)
    for label, value, is_code in receipt_rows(consent, channel_labels):
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(label), **line)
        if is_code:
            pdf.set_font("Courier", size=9)
        else:
            pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, _latin1(value), **line)
        pdf.ln(1)
    pdf.set_font("Helvetica", size=11)
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
