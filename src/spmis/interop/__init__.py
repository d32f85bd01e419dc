"""DCI social registry interoperability: search, subscriptions and notifications between
registries, signed with Ed25519 and authorised with OAuth2 client tokens."""
