"""The Bungie.net API: client, typed errors and records."""
