"""``python -m eid`` is the ``eid`` command."""

import sys

from eid.cli import main

sys.exit(main())
