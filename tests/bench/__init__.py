"""`make bench`: SatuPintu's backbone measured against the raw broker and a bare client (issue 8).

Run with ``python -m tests.bench`` (see README.md in this folder).
"""
