"""``storeboard webhooks register``: what it prints, and a mutation Shopify's schema accepts."""

from __future__ import annotations

import pytest
from graphql import parse, validate
from typer.testing import CliRunner

from storeboard.cli import app
from storeboard.demo import sandbox_env, write_sandbox_config
from storeboard.sandbox.specs import shopify_schema
from storeboard.webhooks.register import SHOPIFY_TOPICS, STRIPE_EVENTS, SUBSCRIBE_MUTATION
from tests.conftest import make_config


def test_the_subscription_mutation_and_topics_are_valid_for_the_official_admin_schema():
    schema = shopify_schema()
    assert validate(schema, parse(SUBSCRIBE_MUTATION)) == []
    topics = schema.get_type("WebhookSubscriptionTopic").values
    assert set(SHOPIFY_TOPICS) <= set(topics)
    assert schema.get_type("WebhookSubscriptionInput").fields["uri"].deprecation_reason is None


def test_register_prints_each_platform_and_apply_needs_the_public_url(tmp_path):
    write_sandbox_config(tmp_path, "http://127.0.0.1:9", overwrite_demo=True)
    config = tmp_path / "storeboard.yml"
    runner = CliRunner()
    printed = runner.invoke(app, ["webhooks", "register", "-c", str(config)], env={"COLUMNS": "200"})
    assert printed.exit_code == 0, printed.output
    assert "webhookSubscriptionCreate" in printed.output and "/v1/webhook_endpoints" in printed.output
    assert all(t in printed.output for t in SHOPIFY_TOPICS) and all(e in printed.output for e in STRIPE_EVENTS)
    assert "/webhooks/shopify" in printed.output and "/webhooks/stripe" in printed.output
    secrets = sandbox_env().values()
    assert not any(s in printed.output for s in secrets), "secrets are never printed"
    refused = runner.invoke(app, ["webhooks", "register", "--apply", "-c", str(config)], env={"COLUMNS": "200"})
    assert refused.exit_code == 2 and "webhooks.public_url" in refused.output
    text = config.read_text().replace("# public_url: https://storeboard.example.com", "public_url: https://sb.example.com")
    config.write_text(text)
    printed = runner.invoke(app, ["webhooks", "register", "-c", str(config)], env={"COLUMNS": "200"})
    assert "https://sb.example.com/webhooks/shopify" in printed.output


@pytest.mark.parametrize("form", ["client_credentials", "access_token"])
def test_register_apply_subscribes_with_either_shopify_form(tmp_path, sandbox, form):
    make_config(tmp_path, "duckdb:///storeboard.duckdb", sandbox.url, shopify_form=form)
    config = tmp_path / "storeboard.yml"
    text = config.read_text().replace("# public_url: https://storeboard.example.com", "public_url: https://sb.example.com")
    # Shopify only: without a Stripe block only Shopify is registered.
    config.write_text(text.replace(text[text.index("  stripe:\n"):text.index("  meta_ads:\n")], ""))
    runner = CliRunner()
    first = runner.invoke(app, ["webhooks", "register", "--apply", "-c", str(config)], env={"COLUMNS": "200"})
    assert first.exit_code == 0, first.output
    subscriptions = sandbox.api("shopify").webhook_subscriptions.items
    assert sorted(subscriptions) == sorted((t, "https://sb.example.com/webhooks/shopify") for t in SHOPIFY_TOPICS)
    assert first.output.count(": subscribed (gid://shopify/WebhookSubscription/") == len(SHOPIFY_TOPICS)
    assert sandbox.api("shopify").auth.issued == (1 if form == "client_credentials" else 0)
    again = runner.invoke(app, ["webhooks", "register", "--apply", "-c", str(config)], env={"COLUMNS": "200"})
    assert again.output.count("not created: Address for this topic has already been taken") == len(SHOPIFY_TOPICS)
    assert not any(s in first.output + again.output for s in sandbox_env(form).values())
