"""Spreadsheet exports that a spreadsheet program cannot run as formulas (CSV injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a formula
by Excel, LibreOffice and Google Sheets; text people sent us (a bounce reason, a source, a title)
must never become one. Such a cell is prefixed with a single quote, as OWASP recommends.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value, with a leading ``'`` if a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class FormulaSafeExportMixin:
    """For a Wagtail view with ``SpreadsheetExportMixin``: every CSV cell is neutralised.

    XLSX needs nothing more: Wagtail already writes formula-looking cells as text there.
    """

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: neutralise(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in row_dict.items()
            }
        )
