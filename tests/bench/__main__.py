"""``python -m tests.bench [--quick] [--only NAME] [--runs N]``."""

from __future__ import annotations

import sys

from .runner import main

if __name__ == "__main__":
    sys.exit(main())
