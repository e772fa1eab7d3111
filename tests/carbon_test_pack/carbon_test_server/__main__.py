"""Entry point: python3 -m carbon_test_server [-D options], as bin/wso2server.sh runs it."""

import sys

from carbon_test_server.server import main

sys.exit(main(sys.argv[1:]))
