"""A sample workspace for a first look: realistic, seeded, rebuilt on demand."""
