"""The Tornado side: pages, JSON API and WebSockets."""
