"""Allow `python -m newsdesk` (guarded: worker processes import the main module again)."""

from newsdesk.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
