"""Rigs for tests and benchmarks: the simulated Bungie API, a database and the actors on
one hand-stepped clock (`rig.py`), and the web app on a thread of its own (`web.py`).
Nothing that `clanactors serve` runs imports this package."""
