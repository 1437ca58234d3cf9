"""newsdesk: clean, deduplicated per-category feeds from sites that publish none."""

__version__ = "0.1.0"
