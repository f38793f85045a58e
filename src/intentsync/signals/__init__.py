"""Intent signals: received once, rolled up per account and day for scoring."""
