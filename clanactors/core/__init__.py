"""What every layer may use: the clock, resource paths, metrics, the settings error, log damping."""
