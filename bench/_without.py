"""admtrack without some commands: `python bench/_without.py fetch,chart,report ARGS…` runs `admtrack ARGS…`
with those commands removed from the app before it starts (for bench/optional_commands.py)."""

import sys

from admtrack import cli

drop = set(sys.argv[1].split(","))
cli.app.registered_commands[:] = [c for c in cli.app.registered_commands
                                  if (c.name or c.callback.__name__) not in drop]
sys.argv = ["admtrack", *sys.argv[2:]]
cli.main()
