"""The HTTP edge: middleware, request limits, rate limits, security headers, request context, serving."""
