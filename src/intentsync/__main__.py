"""`python -m intentsync`; guarded so spawned scoring workers do not re-run the CLI."""

from intentsync.cli import main

if __name__ == "__main__":
    main()
