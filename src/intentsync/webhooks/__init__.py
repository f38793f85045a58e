"""Push: events written to an outbox with the change that causes them, then delivered signed."""
