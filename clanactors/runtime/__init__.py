"""How the pieces run: the timer scheduler, supervision policy, peer slots, health, listening."""
