"""The `clanactors` command and what one process runs: settings, logs, the poll lock, the app."""
