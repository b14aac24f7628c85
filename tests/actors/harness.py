"""Tests drive the actors through the simulator rig."""

from clanactors.testing.rig import Rig as Harness

__all__ = ["Harness"]
