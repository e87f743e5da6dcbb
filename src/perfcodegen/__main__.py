import sys

from perfcodegen.cli import main

sys.exit(main())
