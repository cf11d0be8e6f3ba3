"""SatuPintu routing service."""
