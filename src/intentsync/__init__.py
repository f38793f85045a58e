"""intentsync: account-based marketing with a Recotap-compatible CRM API."""

__version__ = "0.1.0"
