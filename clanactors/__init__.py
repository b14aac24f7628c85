"""clanactors: a self-hosted, real-time homepage server for a Destiny 2 clan."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("clanactors")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
