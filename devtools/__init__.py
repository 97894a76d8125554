"""Development tools: benchmarks and the loopback fakes they (and the tests) run against.

Installed only by the development, test and scratch settings, never by ``website.settings.base``
or ``website.settings.production``; nothing in the product (``website``, ``stories``, ``consent``,
``channels``, ``newsletter``) imports it. Test-only packages (``aiosmtpd``) are imported only
inside the functions that need them.
"""
