"""The HTTP layer every API feature shares: authentication, the request transaction, routing."""
