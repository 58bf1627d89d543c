"""Routing's domain: plain Python, no Flask, no SQL, no Kafka."""
