"""The stacked engine's public names (kept for imports of ``imbsk.ensemble``).

The code lives in :mod:`imbsk.engine`, one concern per module.
"""

from .engine import *  # noqa: F401,F403
from .engine import __all__  # noqa: F401
