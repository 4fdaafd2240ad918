"""Auth0 backend for python-social-auth."""

__version__ = "0.1.0"
