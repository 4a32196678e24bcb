"""``python -m convlens``: the ``convlens`` command, without the installed script."""

import sys

from .cli import main

sys.exit(main())
