"""enkat: survey analysis and audit-report pipeline."""

__version__ = "0.1.0"
