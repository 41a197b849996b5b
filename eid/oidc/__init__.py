"""OpenID Connect protocol logic shared by the provider and the relying party."""
