"""``python -m dsr_workbench.cli`` is ``dsr``."""

import sys

from dsr_workbench.cli import main

sys.exit(main())
