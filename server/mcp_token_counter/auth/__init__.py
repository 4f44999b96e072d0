"""The OAuth 2.1 resource server for HTTP serving: whose bearer tokens pass, who the caller is, their quota."""
