"""`python -m ory_frames.cli`: the same as the ``ory-frames`` command."""

from __future__ import annotations

import sys

from ory_frames.cli._main import main

sys.exit(main())
