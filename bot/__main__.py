"""Command line: `python -m bot run | sandbox | migrate | add-manager TELEGRAM_ID`."""
import sys

from .cli import main

sys.exit(main())
