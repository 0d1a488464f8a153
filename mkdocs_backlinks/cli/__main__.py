"""`python -m mkdocs_backlinks.cli`, as the console script and git's merge driver run it."""

from mkdocs_backlinks.cli.main import main

raise SystemExit(main())
