"""The operators' web application (`policywatch serve`): FastAPI + Jinja2, server-rendered pages over the
same database as the nightly run. Imported only by the serve command, so `policywatch --help` stays fast."""
