"""Intake's adapters: tables, repository, locality directory, outgoing event mapping."""
