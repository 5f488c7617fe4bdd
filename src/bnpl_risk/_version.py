"""The library version, stamped on every artifact."""

__version__ = "0.1.0"
