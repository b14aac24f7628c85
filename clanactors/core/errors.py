"""The one error every layer may raise about the settings it was given."""


class ConfigError(Exception):
    """A setting has a bad value. `str()` is the one line shown to the user."""
