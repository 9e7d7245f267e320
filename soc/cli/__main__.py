"""`python -m soc.cli` is the `soc` command."""

import sys

from soc.cli import main

sys.exit(main())
