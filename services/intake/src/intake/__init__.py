"""SatuPintu intake service."""
