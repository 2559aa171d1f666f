"""foibot: send one FOI request to many UK public authorities and follow every reply."""

__version__ = "0.2.0"
