"""``python -m literllm.testing``: run the local provider server."""

import sys

from ._server import main

sys.exit(main())
