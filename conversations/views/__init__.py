"""The conversations admin views, one module per screen or group of buttons."""
