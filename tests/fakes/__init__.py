"""Loopback fakes of the outside services, answering like the real ones."""
