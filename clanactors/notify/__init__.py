"""Discord: the feed posted to execute-webhook URLs (README "Discord")."""
