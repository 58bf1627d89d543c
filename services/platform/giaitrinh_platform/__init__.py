"""The platform: runs the four services and the infrastructure they need on one machine."""
