"""The browser console: server-rendered pages over the same services the API uses."""
