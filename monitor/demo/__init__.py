"""The offline demo: fake district sites, and the local webhook receiver and SMTP server its alerts go to
(also used by the tests). Loopback only."""
