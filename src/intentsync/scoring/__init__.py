"""Intent scores and journey stages, as pure functions so every point can be traced and tested."""
