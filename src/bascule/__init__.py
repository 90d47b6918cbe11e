"""bascule: keeps a multi-site hospital group working through an IT outage."""

__version__ = "0.1.0"
