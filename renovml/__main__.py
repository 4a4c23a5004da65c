"""``python -m renovml`` runs the command line."""

import sys

from renovml._cli import main

sys.exit(main())
