"""The website tracker: a public write key, a JS snippet and POST /track."""
