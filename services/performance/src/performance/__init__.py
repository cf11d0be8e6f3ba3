"""SatuPintu performance service."""
