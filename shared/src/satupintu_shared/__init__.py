"""SatuPintu shared library: contracts and plumbing every service uses, and no business logic."""
