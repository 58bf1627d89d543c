"""Shared plumbing of the four services: the event envelope and its contract, the bus port and
its adapters, the transactional outbox and idempotent inbox, metrics, settings and the web
conventions. No domain code lives here: each service owns its own language."""
