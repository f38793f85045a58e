from intentsync.cli import main

main()
