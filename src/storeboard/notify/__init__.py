"""Alerts and the weekly email: rules over the marts, Slack with an outbox, SMTP."""
