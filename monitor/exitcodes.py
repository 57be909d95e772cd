"""Exit codes of the `policywatch` command, for cron and systemd."""

EXIT_OK = 0  # all good
EXIT_PARTIAL = 1  # some sources failed; the rest was processed and committed
EXIT_CANNOT_RUN = 2  # bad configuration, database unreachable
EXIT_LOCKED = 3  # another run holds the lock
