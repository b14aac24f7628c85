"""Discord: the feed posted to execute-webhook URLs (CONTRACT §8)."""
