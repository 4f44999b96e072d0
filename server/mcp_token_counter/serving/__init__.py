"""Serving over HTTP: the Starlette app, uvicorn, and the ASGI middlewares in front of the SDK's transports."""
