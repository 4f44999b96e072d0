"""The audit: find the MCP servers the user's hosts are configured to run, connect to each, price their tools.

Only the CLI's ``audit`` command reaches this layer; the MCP tools never do, since it starts processes.
"""
