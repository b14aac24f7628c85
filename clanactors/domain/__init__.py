"""The clan's own terms, pure: events, snapshots, presence, fireteams, roster changes, weeks."""
