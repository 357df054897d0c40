"""``python -m theorems``: the same as the ``theorems`` command."""

from __future__ import annotations

import sys

from theorems.cli import main

sys.exit(main())
