"""Staff sign-in through a tenant's OpenID Connect identity provider (issue 15, item 4).

``config``: the deployment's settings (``SSO__*``). ``sealing``: secrets at rest (client secrets, refresh
tokens). ``idp``: talking to an IdP (discovery, JWKS, authorization code + PKCE with Authlib, ID tokens
checked with joserfc). ``roles``: the claim -> role decision. ``signin``: the browser flow (start,
callback, just-in-time users). ``renewal``: an SSO login re-checked at the IdP (deprovisioning).
``admin``: a tenant's provider settings.
"""
