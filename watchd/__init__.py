"""watchd: watch rules written like headlines, matched against folders, feeds and pages."""

from __future__ import annotations

__version__ = "0.1.0"
