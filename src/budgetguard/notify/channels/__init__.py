"""The channels notifications travel by: the console, e-mail, signed webhooks and Slack, with
the HTTP client and SSRF guard the web ones share, and the e-mail templates."""
