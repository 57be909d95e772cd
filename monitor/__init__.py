"""policywatch monitor: normalise, store, diff, lifecycle, reports, scheduling and the CLI."""
