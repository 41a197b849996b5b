"""One blueprint per area: discovery, authorize, login, consent, my shared data, API."""
