"""`python -m hehu.cli`: the `hehu` command."""

import sys

from hehu.cli.main import main

sys.exit(main())
