"""clientdesk: serving corporate clients."""

__version__ = "0.1.0"
