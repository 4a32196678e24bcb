"""``python -m convlens.cli``: the ``convlens`` command."""

import sys

from . import main

sys.exit(main())
