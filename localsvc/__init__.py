"""Shared pieces of the project's local test services (localipfs, localarweave).

Everything here binds to 127.0.0.1 only.
"""
