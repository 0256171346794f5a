"""Tell drf-spectacular that Mina's JWT authentication is simplejwt's Bearer scheme."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class MinaJWTScheme(SimpleJWTScheme):
    target_class = "accounts.authentication.JWTAuthentication"
