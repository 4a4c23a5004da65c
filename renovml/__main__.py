"""``python -m renovml`` runs the command line."""

import sys

from renovml.cli import main

sys.exit(main())
