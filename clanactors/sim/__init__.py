"""The simulated Bungie.net API: a living demo clan."""
